import { bootstrapHttp, configOrExit } from '@nixflex/common';
import { AppModule } from './app.module';

void bootstrapHttp('gateway', AppModule, configOrExit().gatewayPort);
