/**
 * Account and API-key administration:
 *   npm run cli -- accounts:create --name "Acme Dental"
 *   npm run cli -- keys:create --account acct_...
 *   npm run cli -- keys:revoke key_...
 *   npm run cli -- account:settings --account acct_... [--allowed-destination-countries GB,IE]
 *     [--quiet-hours 21:00-09:00] [--respect-quiet-hours-default true|false]
 *     [--monthly-token-budget N|default]   (0 = unlimited; default = LLM_MONTHLY_TOKEN_BUDGET)
 *   npm run cli -- credentials:reencrypt
 * Prints one line of JSON. The secret is shown here once and never stored.
 */
import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  BrokerClient,
  Outbox,
  SecretBox,
  UpdateAccountSettingsBody,
  configOrExit,
  createDataSource,
  migrate,
  reencryptSecrets,
} from '@nixflex/common';
import { AccountSettings } from './account-settings/account-settings.entity';
import { AccountSettingsRepository } from './account-settings/account-settings.repository';
import { AccountSettingsService } from './account-settings/account-settings.service';
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
  if (command === 'credentials:reencrypt') {
    // The sealed secrets live in the numbers and webhooks schemas (SEALED_COLUMNS,
    // libs/common/src/crypto/reencrypt.ts). This operator command is the one
    // exception to "a service writes only its own schema": it runs once per key
    // rotation, from any image, with the same DATABASE_URL, and only swaps a
    // sealed value for the same secret sealed with the first key (compare and
    // set, so a concurrent change by the owner wins). No gateway table is used.
    const report = await reencryptSecrets(cfg.databaseUrl, new SecretBox(cfg.credentialsEncryptionKeys));
    out(report);
    return report.failed > 0 ? 1 : 0;
  }
  await migrate('gateway', cfg.databaseUrl);
  const ds = await createDataSource({
    service: 'gateway',
    databaseUrl: cfg.databaseUrl,
    entities: [Account, ApiKey, AccountSettings],
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
      case 'account:settings': {
        const account = flag(args, '--account');
        if (!account) throw new Error('account:settings needs --account ACCOUNT_ID');
        // The CLI only writes the event's outbox row; the running gateway's relay publishes it.
        const settings = new AccountSettingsService(
          new AccountSettingsRepository(ds.getRepository(AccountSettings)),
          new Outbox(ds, undefined as unknown as BrokerClient, 'gateway'),
        );
        const body = settingsBody(args);
        out(
          Object.keys(body).length > 0 ? await settings.update(account, body) : await settings.get(account),
        );
        return 0;
      }
      default:
        throw new Error(
          'usage: cli accounts:create --name NAME | keys:create --account ID | keys:revoke KEY_ID | ' +
            'account:settings --account ID [--allowed-destination-countries GB,IE] ' +
            '[--quiet-hours 21:00-09:00] [--respect-quiet-hours-default true|false] | credentials:reencrypt',
        );
    }
  } finally {
    await ds.destroy();
  }
}

/** The flags given, validated exactly as `PATCH /v1/account/settings` validates its body. */
function settingsBody(args: string[]): UpdateAccountSettingsBody {
  const plain: Record<string, unknown> = {};
  const countries = flag(args, '--allowed-destination-countries');
  if (countries !== undefined) plain.allowed_destination_countries = countries.split(',');
  const quiet = flag(args, '--quiet-hours');
  if (quiet !== undefined) {
    const [start, end] = quiet.split('-');
    plain.quiet_hours = { start, end };
  }
  const respect = flag(args, '--respect-quiet-hours-default');
  if (respect !== undefined) {
    if (respect !== 'true' && respect !== 'false') {
      throw new Error('--respect-quiet-hours-default must be true or false');
    }
    plain.respect_quiet_hours_default = respect === 'true';
  }
  const budget = flag(args, '--monthly-token-budget');
  if (budget !== undefined) plain.monthly_token_budget = budget === 'default' ? null : Number(budget);
  const body = plainToInstance(UpdateAccountSettingsBody, plain);
  const errors = validateSync(body, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) {
    const messages = errors.flatMap((e) => [
      ...Object.values(e.constraints ?? {}),
      ...(e.children ?? []).flatMap((c) => Object.values(c.constraints ?? {})),
    ]);
    throw new Error(`validation_failed: ${messages.join('; ')}`);
  }
  return body;
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
