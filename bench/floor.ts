/**
 * The hardware floor: the least a process can do to durably accept an SMS on
 * this machine - validate the JSON, one Postgres insert, one persistent
 * publish with a publisher confirm, answer 202 - in a single process with no
 * framework. The benchmark drives it with the same load as POST /v1/sms, so
 * the system's figures can be read as a ratio of what the machine allows.
 */
import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { Pool } from 'pg';

const E164 = /^\+[1-9]\d{6,14}$/;

export interface Floor {
  url: string;
  close(): Promise<void>;
}

export async function startFloor(databaseUrl: string, rabbitmqUrl: string, prefix: string): Promise<Floor> {
  const pool = new Pool({ connectionString: databaseUrl, max: 10 });
  pool.on('error', () => undefined); // an idle client dropped by the server is replaced on next use
  await pool.query(`CREATE TABLE IF NOT EXISTS public.floor_messages (
    id uuid PRIMARY KEY, account text NOT NULL, "to" text NOT NULL, "from" text NOT NULL,
    body text NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
  const conn = await amqp.connect(rabbitmqUrl);
  const ch = await conn.createConfirmChannel();
  const queue = `${prefix}.floor`;
  await ch.assertQueue(queue, { durable: true });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let body: { to?: unknown; from_number?: unknown; message?: unknown; agent_id?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          res.writeHead(400).end('{"error":{"code":"validation_failed","message":"bad json"}}');
          return;
        }
        const auth = req.headers.authorization ?? '';
        if (
          !auth.startsWith('Bearer ') ||
          typeof body.to !== 'string' ||
          !E164.test(body.to) ||
          typeof body.from_number !== 'string' ||
          !E164.test(body.from_number) ||
          typeof body.message !== 'string' ||
          body.message.length === 0 ||
          body.message.length > 1600
        ) {
          res.writeHead(400).end('{"error":{"code":"validation_failed","message":"bad body"}}');
          return;
        }
        const id = randomUUID();
        try {
          await pool.query(
            `INSERT INTO public.floor_messages (id, account, "to", "from", body, status) VALUES ($1,$2,$3,$4,$5,'queued')`,
            [id, auth.slice(7, 40), body.to, body.from_number, body.message],
          );
          await new Promise<void>((resolve, reject) =>
            ch.sendToQueue(
              queue,
              Buffer.from(JSON.stringify({ id })),
              { persistent: true },
              (err: unknown) => (err ? reject(new Error('nack')) : resolve()),
            ),
          );
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ message_id: id, status: 'queued', to: body.to, from_number: body.from_number }),
          );
        } catch {
          res.writeHead(503).end('{"error":{"code":"service_unavailable","message":"down"}}');
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise((r) => server.close(r));
      await ch.deleteQueue(queue).catch(() => undefined);
      await conn.close().catch(() => undefined);
      await pool.query('DROP TABLE IF EXISTS public.floor_messages').catch(() => undefined);
      await pool.end();
    },
  };
}
