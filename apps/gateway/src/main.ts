import { bootstrapHttp, configOrExit } from '@nixflex/common';
import { AppModule } from './app.module';
import { setupUploads } from './campaigns/uploads';
import { setupOpenApi } from './openapi/document';

void bootstrapHttp('gateway', AppModule, configOrExit().gatewayPort, {
  beforeListen: (app) => {
    setupUploads(app);
    setupOpenApi(app);
  },
});
