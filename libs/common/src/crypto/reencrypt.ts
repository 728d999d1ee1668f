import { Client } from 'pg';
import { SecretBox } from './secret-box';

/**
 * A table column that holds SecretBox-sealed values, and the associated data
 * each value was sealed with. The owning service declares how it seals; this
 * list is the one place the re-encryption command reads it from, so a new
 * sealed column is added here (see docs/operations.md "Secrets").
 */
export interface SealedColumns {
  /** `schema.table` */
  table: string;
  /** The primary key column. */
  key: string;
  columns: string[];
  /** Columns the associated data is made of (read with the row). */
  aadColumns: string[];
  aad(row: Record<string, string>): string;
}

/** Every sealed column in the engine, by its owning service. */
export const SEALED_COLUMNS: SealedColumns[] = [
  {
    // apps/numbers (phone-numbers.service.ts): associated data = the phone number.
    table: 'numbers.phone_numbers',
    key: 'id',
    columns: ['twilio_auth_token_sealed', 'calendar_api_key_sealed'],
    aadColumns: ['phone_number'],
    aad: (row) => row.phone_number,
  },
  {
    // apps/webhooks (secrets.service.ts): associated data = the account id.
    table: 'webhooks.customer_webhook_secrets',
    key: 'account_id',
    columns: ['secret_sealed', 'previous_secret_sealed'],
    aadColumns: ['account_id'],
    aad: (row) => `customer-webhook-secret:${row.account_id}`,
  },
];

export interface ReencryptReport {
  /** The key every value is sealed with afterwards. */
  key_id: string;
  /** Sealed values looked at (nulls not counted). */
  scanned: number;
  /** Values sealed with an older key and now sealed with `key_id`. */
  resealed: number;
  /** Values already sealed with `key_id`. */
  current: number;
  /** Values changed by a service while the command ran (they are sealed with the service's first key). */
  changed_meanwhile: number;
  /** Values that did not open: their key id is missing from the key list, or they are damaged. */
  failed: number;
  /** Per sealed column: `schema.table.column` -> key ids found before re-sealing, with counts. */
  key_ids_before: Record<string, Record<string, number>>;
  /** Where each failure is (table, row key, column); never a value. */
  failures: { table: string; key: string; column: string }[];
}

const ident = (name: string) =>
  name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');

/**
 * Re-seals every stored secret with the first key of `box`, so an older key
 * can be removed from CREDENTIALS_ENCRYPTION_KEY afterwards. Idempotent: a
 * value already sealed with the first key is left as it is. Each value is
 * replaced only if it is still the value read (compare and set), so a value a
 * running service changed meanwhile is not overwritten. Values are never
 * printed; the report holds counts and row keys.
 */
export async function reencryptSecrets(
  databaseUrl: string,
  box: SecretBox,
  tables: SealedColumns[] = SEALED_COLUMNS,
  batch = 500,
): Promise<ReencryptReport> {
  const report: ReencryptReport = {
    key_id: box.currentKeyId,
    scanned: 0,
    resealed: 0,
    current: 0,
    changed_meanwhile: 0,
    failed: 0,
    key_ids_before: {},
    failures: [],
  };
  const db = new Client({ connectionString: databaseUrl, application_name: 'nixflex-reencrypt' });
  db.on('error', () => undefined);
  await db.connect();
  try {
    for (const spec of tables) {
      const select = [spec.key, ...spec.aadColumns.filter((c) => c !== spec.key), ...spec.columns]
        .map(ident)
        .join(', ');
      let after: string | null = null;
      for (;;) {
        const { rows }: { rows: Record<string, string | null>[] } = await db.query(
          `SELECT ${select} FROM ${ident(spec.table)}
           WHERE $1::text IS NULL OR ${ident(spec.key)} > $1
           ORDER BY ${ident(spec.key)} LIMIT ${Number(batch)}`,
          [after],
        );
        if (rows.length === 0) break;
        for (const row of rows) {
          const key = String(row[spec.key]);
          for (const column of spec.columns) {
            const sealed = row[column];
            if (sealed === null || sealed === undefined) continue;
            report.scanned++;
            const counts = (report.key_ids_before[`${spec.table}.${column}`] ??= {});
            const keyId = SecretBox.keyIdOf(sealed) ?? '?';
            counts[keyId] = (counts[keyId] ?? 0) + 1;
            if (keyId === box.currentKeyId) {
              report.current++;
              continue;
            }
            let resealed: string;
            try {
              const aad = spec.aad(row as Record<string, string>);
              resealed = box.encrypt(box.decrypt(sealed, aad), aad);
            } catch {
              report.failed++;
              report.failures.push({ table: spec.table, key, column });
              continue;
            }
            const res = await db.query(
              `UPDATE ${ident(spec.table)} SET ${ident(column)} = $1
               WHERE ${ident(spec.key)} = $2 AND ${ident(column)} = $3`,
              [resealed, key, sealed],
            );
            if (res.rowCount === 1) report.resealed++;
            else report.changed_meanwhile++;
          }
        }
        after = String(rows[rows.length - 1][spec.key]);
      }
    }
  } finally {
    await db.end().catch(() => undefined);
  }
  return report;
}
