import { Account } from './account.entity';
import { ApiKey } from './api-key.entity';

export const AUTH_ENTITIES = [Account, ApiKey];
