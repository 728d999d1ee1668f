/**
 * Account and API-key administration:
 *   npm run cli -- accounts:create --name "Acme Dental"
 *   npm run cli -- keys:create --account acct_...
 *   npm run cli -- keys:revoke key_...
 * Prints one line of JSON. The secret is shown here once and never stored.
 */
import 'reflect-metadata';
import { configOrExit, createDataSource, migrate } from '@nixflex/common';
import { Account } from './auth/account.entity';
import { ApiKey } from './auth/api-key.entity';
import { ApiKeysService } from './auth/api-keys.service';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  const cfg = configOrExit();
  await migrate('gateway', cfg.databaseUrl);
  const ds = await createDataSource({
    service: 'gateway',
    databaseUrl: cfg.databaseUrl,
    entities: [Account, ApiKey],
    poolSize: 1,
  }).initialize();
  const keys = new ApiKeysService(ds.getRepository(Account), ds.getRepository(ApiKey));
  try {
    switch (command) {
      case 'accounts:create': {
        const name = flag(args, '--name');
        if (!name) throw new Error('accounts:create needs --name "Account name"');
        out(await keys.createAccount(name));
        return 0;
      }
      case 'keys:create': {
        const account = flag(args, '--account');
        if (!account) throw new Error('keys:create needs --account ACCOUNT_ID');
        out(await keys.createKey(account));
        return 0;
      }
      case 'keys:revoke': {
        const keyId = args[0];
        if (!keyId) throw new Error('keys:revoke needs a KEY_ID');
        if (!(await keys.revoke(keyId))) throw new Error(`no key ${keyId}`);
        out({ key_id: keyId, revoked: true });
        return 0;
      }
      default:
        throw new Error(
          'usage: cli accounts:create --name NAME | keys:create --account ID | keys:revoke KEY_ID',
        );
    }
  } finally {
    await ds.destroy();
  }
}

function out(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`${JSON.stringify({ error: err.message })}\n`);
    process.exit(1);
  },
);
