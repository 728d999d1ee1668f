import { bootstrapMicroservice } from '@nixflex/common';
import { AppModule } from './app.module';

void bootstrapMicroservice('numbers', AppModule);
