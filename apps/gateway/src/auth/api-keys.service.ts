import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { hashSecret, newId, newKeyId, newKeySecret, secretMatches } from '@nixflex/common';
import { Repository } from 'typeorm';
import { Account } from './account.entity';
import { ApiKey } from './api-key.entity';

export interface Principal {
  accountId: string;
  keyId: string;
}

export interface IssuedKey {
  account_id: string;
  key_id: string;
  api_key: string;
}

@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(Account) private readonly accounts: Repository<Account>,
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
  ) {}

  async createAccount(name: string): Promise<IssuedKey> {
    const account = await this.accounts.save(this.accounts.create({ id: newId('acct'), name }));
    return this.createKey(account.id);
  }

  async createKey(accountId: string): Promise<IssuedKey> {
    if (!(await this.accounts.existsBy({ id: accountId }))) {
      throw new Error(`account ${accountId} does not exist`);
    }
    const keyId = newKeyId();
    const secret = newKeySecret();
    await this.keys.insert({ id: keyId, accountId, secretHash: hashSecret(secret), revokedAt: null });
    return { account_id: accountId, key_id: keyId, api_key: `${keyId}:${secret}` };
  }

  async revoke(keyId: string): Promise<boolean> {
    const res = await this.keys.update({ id: keyId }, { revokedAt: () => 'now()' });
    return (res.affected ?? 0) > 0;
  }

  /** One primary-key lookup and one SHA-256 per request. */
  async authenticate(keyId: string, secret: string): Promise<Principal | undefined> {
    const key = await this.keys.findOneBy({ id: keyId });
    if (!key || key.revokedAt || !secretMatches(secret, key.secretHash)) return undefined;
    return { accountId: key.accountId, keyId: key.id };
  }
}
