import { Injectable } from '@nestjs/common';
import {
  AppError,
  BrokerClient,
  CAMPAIGN_CHUNK_ROWS,
  CAMPAIGN_MAX_CSV_ROWS,
  CampaignDto,
  CampaignFields,
  CampaignRecipientInput,
  CampaignsCommands,
  CreateCampaignBody,
  createValidationPipe,
  newId,
} from '@nixflex/common';
import { parse } from 'csv-parse';
import type { Readable } from 'node:stream';
import type { Principal } from '../auth/api-keys.service';

/** How long the start (one transaction writing every message) may take before the gateway gives up waiting. */
const START_TIMEOUT_MS = 120_000;

/** The `to` column of a CSV, matched without regard to case or spaces. */
const TO_COLUMN = 'to';

/** A multipart request's parts, as @fastify/multipart yields them. */
export type UploadPart =
  { type: 'field'; fieldname: string; value: unknown } | { type: 'file'; fieldname: string; file: Readable };

/**
 * Streams a campaign to messaging: the campaign's fields open a draft, the
 * recipients follow in chunks of `CAMPAIGN_CHUNK_ROWS` as they are read (a
 * CSV is parsed as it arrives, never held whole), and a start makes the
 * messages. Any failure before the start discards the draft, so a refused
 * or broken upload leaves nothing behind.
 */
@Injectable()
export class CampaignUpload {
  private readonly pipe = createValidationPipe();

  constructor(private readonly broker: BrokerClient) {}

  /** `POST /v1/campaigns` as JSON. */
  async fromJson(p: Principal, raw: unknown, idempotencyKey?: string): Promise<CampaignDto> {
    const body = (await this.pipe.transform(raw ?? {}, {
      type: 'body',
      metatype: CreateCampaignBody,
    })) as CreateCampaignBody;
    const { recipients, ...fields } = body;
    return this.run(p, fields, idempotencyKey, async (send) => {
      for (let i = 0; i < recipients.length; i += CAMPAIGN_CHUNK_ROWS) {
        await send(i + 1, recipients.slice(i, i + CAMPAIGN_CHUNK_ROWS));
      }
    });
  }

  /** `POST /v1/campaigns` as multipart/form-data: the fields, then one CSV file. */
  async fromMultipart(
    p: Principal,
    parts: AsyncIterable<UploadPart>,
    idempotencyKey?: string,
  ): Promise<CampaignDto> {
    const raw: Record<string, unknown> = {};
    for await (const part of parts) {
      if (part.type === 'field') {
        raw[part.fieldname] = part.fieldname === 'quiet_hours' ? parseBoolean(part.value) : part.value;
        continue;
      }
      const fields = (await this.pipe.transform(raw, {
        type: 'body',
        metatype: CampaignFields,
      })) as CampaignFields;
      const result = await this.run(p, fields, idempotencyKey, (send) => sendCsv(part.file, send));
      // Drain anything after the file so the request ends cleanly.
      for await (const rest of parts) if (rest.type === 'file') rest.file.resume();
      return result;
    }
    throw new AppError('validation_failed', 'Invalid request: check recipients', [
      {
        field: 'recipients',
        messages: ['a CSV file part named recipients is required, after the other fields'],
      },
    ]);
  }

  private async run(
    p: Principal,
    fields: CampaignFields,
    idempotencyKey: string | undefined,
    feed: (send: (firstRow: number, rows: CampaignRecipientInput[]) => Promise<void>) => Promise<void>,
  ): Promise<CampaignDto> {
    const draft = await this.broker.request(CampaignsCommands.create, {
      ...fields,
      account_id: p.accountId,
      api_key_id: p.keyId,
      campaign_id: newId('cmp'),
      ...(idempotencyKey ? { idempotency_key: idempotencyKey } : {}),
    });
    if (draft.replay) return draft.replay;
    const ref = { account_id: p.accountId, campaign_id: draft.campaign_id };
    try {
      await feed(async (firstRow, rows) => {
        await this.broker.request(CampaignsCommands.addRecipients, {
          ...ref,
          first_row: firstRow,
          recipients: rows,
        });
      });
      return await this.broker.request(CampaignsCommands.start, ref, { timeoutMs: START_TIMEOUT_MS });
    } catch (err) {
      await this.broker.request(CampaignsCommands.discard, ref).catch(() => undefined);
      throw err;
    }
  }
}

/**
 * Reads a CSV with a header row: `to` plus any variable columns. Rows are
 * sent in chunks as they are parsed; the parser waits while a chunk is sent.
 */
async function sendCsv(
  file: Readable,
  send: (firstRow: number, rows: CampaignRecipientInput[]) => Promise<void>,
): Promise<void> {
  const parser = file.pipe(
    parse({
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: false,
      max_record_size: 64 * 1024,
    }),
  );
  let header: string[] | null = null;
  let toIndex = -1;
  let chunk: CampaignRecipientInput[] = [];
  let firstRow = 1;
  let rows = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = record.map((h) => h.trim());
        toIndex = header.findIndex((h) => h.toLowerCase() === TO_COLUMN);
        if (toIndex < 0) {
          throw new AppError(
            'invalid_csv',
            `The CSV's header needs a \`to\` column; it has: ${header.join(', ')}`,
          );
        }
        continue;
      }
      rows++;
      if (rows > CAMPAIGN_MAX_CSV_ROWS) {
        throw new AppError(
          'too_many_recipients',
          `A campaign CSV takes at most ${CAMPAIGN_MAX_CSV_ROWS} rows`,
          {
            max: CAMPAIGN_MAX_CSV_ROWS,
          },
        );
      }
      const variables: Record<string, string> = {};
      header.forEach((name, i) => {
        if (i !== toIndex && name !== '') variables[name] = record[i] ?? '';
      });
      chunk.push({ to: record[toIndex] ?? '', variables });
      if (chunk.length === CAMPAIGN_CHUNK_ROWS) {
        await send(firstRow, chunk);
        firstRow += chunk.length;
        chunk = [];
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    const e = err as { code?: string; message: string; lines?: number };
    if (e.code?.startsWith('CSV_')) {
      throw new AppError(
        'invalid_csv',
        `The CSV could not be read${e.lines ? ` at line ${e.lines}` : ''}: ${e.message}`,
      );
    }
    throw err;
  } finally {
    file.resume();
  }
  if (!header)
    throw new AppError('invalid_csv', 'The CSV is empty: it needs a header row with a `to` column');
  if (chunk.length > 0) await send(firstRow, chunk);
}

function parseBoolean(value: unknown): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}
