import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { SecretBox } from '@nixflex/common';
import { createAccount, TestAccount } from '../factories/accounts';
import { calcomKey } from '../factories/calendar';
import { importedNumber } from '../factories/numbers';
import { ROOT } from '../harness/infra';
import { Stack } from '../harness/stack';

const run = promisify(execFile);

/**
 * Key rotation: the stack seals with an old key; a new key goes first in
 * CREDENTIALS_ENCRYPTION_KEY; `credentials:reencrypt` re-seals every stored
 * secret (Twilio tokens, Cal.com keys, customer webhook secrets, current and
 * previous); after that the old key can be removed and everything still opens.
 */
describe('credentials:reencrypt', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const OLD = `old:${oldKey.toString('base64')}`;
  const NEW = `new:${newKey.toString('base64')}`;
  let stack: Stack;
  let acme: TestAccount;

  beforeAll(async () => {
    stack = await Stack.start({ env: { CREDENTIALS_ENCRYPTION_KEY: OLD } });
    acme = await createAccount(stack, 'Acme Dental');
  });
  afterAll(() => stack?.stop());

  async function reencrypt(keys: string): Promise<{ code: number; report: any }> {
    const env = { ...stack.env, CREDENTIALS_ENCRYPTION_KEY: keys };
    const cli = path.join(ROOT, 'dist/apps/gateway/src/cli.js');
    try {
      const { stdout } = await run(process.execPath, [cli, 'credentials:reencrypt'], { env, cwd: ROOT });
      return { code: 0, report: JSON.parse(stdout.trim().split('\n').pop()!) };
    } catch (err) {
      const e = err as { code: number; stdout: string };
      return { code: e.code, report: JSON.parse(e.stdout.trim().split('\n').pop()!) };
    }
  }

  it('re-seals every secret with the first key; idempotent; the old key can then be retired', async () => {
    const calKey = calcomKey('rotate');
    const n = await importedNumber(stack, acme, {
      extra: { calendar: { api_key: calKey, event_type_id: '101' } },
    });
    const first = await acme.api.get('/v1/webhook-secret');
    expect(first.status).toBe(200);
    const rotated = await acme.api.post('/v1/webhook-secret/rotate');
    expect(rotated.status).toBe(200);

    const numberRow = async () =>
      (
        await stack.sql(
          'SELECT twilio_auth_token_sealed, calendar_api_key_sealed FROM numbers.phone_numbers WHERE phone_number = $1',
          [n.phone],
        )
      )[0];
    const secretRow = async () =>
      (
        await stack.sql(
          'SELECT secret_sealed, previous_secret_sealed FROM webhooks.customer_webhook_secrets WHERE account_id = $1',
          [acme.account_id],
        )
      )[0];
    const sealedNow = async () => [...Object.values(await numberRow()), ...Object.values(await secretRow())];
    expect((await sealedNow()).map((v) => SecretBox.keyIdOf(v as string))).toEqual([
      'old',
      'old',
      'old',
      'old',
    ]);

    // Without the old key nothing opens: reported per row and column, exit 1, no value printed.
    const missing = await reencrypt(NEW);
    expect(missing.code).toBe(1);
    expect(missing.report).toMatchObject({ key_id: 'new', scanned: 4, resealed: 0, failed: 4 });
    expect(JSON.stringify(missing.report)).not.toContain(calKey);
    expect(JSON.stringify(missing.report)).not.toContain(n.twilio.auth_token);

    // The new key first, the old one still listed: everything re-sealed.
    const done = await reencrypt(`${NEW},${OLD}`);
    expect(done).toEqual({
      code: 0,
      report: {
        key_id: 'new',
        scanned: 4,
        resealed: 4,
        current: 0,
        changed_meanwhile: 0,
        failed: 0,
        key_ids_before: {
          'numbers.phone_numbers.twilio_auth_token_sealed': { old: 1 },
          'numbers.phone_numbers.calendar_api_key_sealed': { old: 1 },
          'webhooks.customer_webhook_secrets.secret_sealed': { old: 1 },
          'webhooks.customer_webhook_secrets.previous_secret_sealed': { old: 1 },
        },
        failures: [],
      },
    });

    // Idempotent.
    const again = await reencrypt(`${NEW},${OLD}`);
    expect(again.report).toMatchObject({ scanned: 4, resealed: 0, current: 4, failed: 0 });

    // The old key removed: every value opens with the new key alone, to the same secret.
    const onlyNew = new SecretBox([{ id: 'new', key: newKey }]);
    const num = await numberRow();
    expect(onlyNew.decrypt(num.twilio_auth_token_sealed, n.phone)).toBe(n.twilio.auth_token);
    expect(onlyNew.decrypt(num.calendar_api_key_sealed, n.phone)).toBe(calKey);
    const sec = await secretRow();
    const aad = `customer-webhook-secret:${acme.account_id}`;
    expect(onlyNew.decrypt(sec.secret_sealed, aad)).toBe(rotated.body.secret);
    expect(onlyNew.decrypt(sec.previous_secret_sealed, aad)).toBe(first.body.secret);
    const retired = await reencrypt(NEW);
    expect(retired).toMatchObject({ code: 0, report: { scanned: 4, current: 4, failed: 0 } });
  });
});
