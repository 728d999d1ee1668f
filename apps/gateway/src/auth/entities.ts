import { AccountSettings } from '../account-settings/account-settings.entity';
import { Account } from './account.entity';
import { ApiKey } from './api-key.entity';

/** The gateway's entities: accounts, their API keys and settings. */
export const AUTH_ENTITIES = [Account, ApiKey, AccountSettings];
