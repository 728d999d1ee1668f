import { bootstrapHttp, configOrExit } from '@nixflex/common';
import { AppModule } from './app.module';

void bootstrapHttp('webhooks', AppModule, configOrExit().webhooksPort, {
  consumes: true,
  bodyLimit: 64 * 1024,
});
