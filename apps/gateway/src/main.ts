import { bootstrapHttp, configOrExit } from '@nixflex/common';
import { AppModule } from './app.module';
import { setupOpenApi } from './openapi/document';

void bootstrapHttp('gateway', AppModule, configOrExit().gatewayPort, { beforeListen: setupOpenApi });
