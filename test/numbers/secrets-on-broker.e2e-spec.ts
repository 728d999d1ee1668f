import * as fs from 'node:fs';
import * as amqp from 'amqplib';
import { CustomerWebhooksCommands, NumbersCommands, SecretBox, Topology, SERVICES } from '@nixflex/common';
import { brokerFor } from '../factories/broker';
import { createAccount, TestAccount } from '../factories/accounts';
import { calcomKey } from '../factories/calendar';
import { importFixture, twilioAccount } from '../factories/numbers';
import { rabbitmqUrl } from '../harness/infra';
import { Stack } from '../harness/stack';

/**
 * The Twilio auth token and the Cal.com key never travel in plaintext: the
 * gateway seals them before the command goes on the broker. A tap queue bound
 * to the stack's exchanges sees every command and event as published; the tap
 * then dead-letters what it saw into the numbers dead queue (as RabbitMQ does
 * with a rejected command), and every queue of the namespace, dead ones
 * included, is read without ack. The stack's log is searched as well.
 */
describe('numbers: secrets never on the broker', () => {
  let stack: Stack;
  let acme: TestAccount;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;
  let topology: Topology;
  const tap = () => `${stack.prefix}.secrets-tap`;

  beforeAll(async () => {
    stack = await Stack.start();
    acme = await createAccount(stack, 'Acme Dental');
    topology = new Topology(stack.prefix);
    conn = await amqp.connect(rabbitmqUrl());
    conn.on('error', () => undefined);
    ch = await conn.createChannel();
    await ch.assertQueue(tap(), {
      durable: false,
      arguments: {
        'x-dead-letter-exchange': topology.deadLetterExchange,
        'x-dead-letter-routing-key': topology.deadQueue('numbers'),
      },
    });
    await ch.bindQueue(tap(), topology.commandsExchange, NumbersCommands.numbersImport);
    await ch.bindQueue(tap(), topology.commandsExchange, NumbersCommands.numbersUpdate);
    await ch.bindQueue(tap(), topology.eventsExchange, '#');
  });
  afterAll(async () => {
    await ch?.deleteQueue(tap()).catch(() => undefined);
    await conn?.close().catch(() => undefined);
    await stack?.stop();
  });

  /** Every message left in the namespace's queues, read without ack (they go back when the channel closes). */
  async function peekAll(queues: string[]): Promise<amqp.GetMessage[]> {
    const seen: amqp.GetMessage[] = [];
    for (const q of queues) {
      // A service without commands (the gateway) has no commands queue: a 404 closes only this channel.
      const probe = await conn.createChannel();
      probe.on('error', () => undefined);
      const exists = await probe.checkQueue(q).then(
        () => true,
        () => false,
      );
      if (exists) await probe.close();
      if (!exists) continue;
      const peek = await conn.createChannel();
      for (;;) {
        const msg = await peek.get(q, { noAck: false });
        if (!msg) break;
        seen.push(msg);
      }
      await peek.close();
    }
    return seen;
  }

  const asText = (m: amqp.GetMessage) =>
    `${m.content.toString('utf8')} ${JSON.stringify(m.properties.headers ?? {})}`;

  it('import (ok and refused by Twilio) and a calendar change: sealed on the broker, dead letters and logs', async () => {
    const goodKey = calcomKey('good');
    const wrongToken = `wrong${Math.random().toString(36).slice(2, 14)}`;
    const refusedKey = calcomKey('refused');
    const patchedKey = calcomKey('patched');

    const f = await importFixture(stack, acme, {
      extra: { calendar: { api_key: goodKey, event_type_id: '101' } },
    });
    const token = f.twilio.auth_token;
    const ok = await acme.api.post('/v1/phone-numbers', f.body);
    expect(ok.status).toBe(201);
    expect(ok.body.calendar).toEqual({ event_type_id: '101', time_zone: 'Europe/London' });

    // The sandbox refuses the token: a failing import, its command on the broker as well.
    const other = await importFixture(stack, acme, {
      twilio: await twilioAccount(stack),
      extra: { calendar: { api_key: refusedKey, event_type_id: '102' } },
    });
    const refused = await acme.api.post('/v1/phone-numbers', { ...other.body, twilio_token: wrongToken });
    expect({ status: refused.status, code: refused.body?.error?.code }).toEqual({
      status: 400,
      code: 'twilio_auth_failed',
    });
    expect(JSON.stringify(refused.body)).not.toContain(wrongToken);

    const patched = await acme.api.patch(`/v1/phone-numbers/${encodeURIComponent(f.phone)}`, {
      calendar: { api_key: patchedKey, event_type_id: '103' },
    });
    expect(patched.status).toBe(200);

    // The stored key is the patched one (the numbers service opened the sealed command field).
    const [row] = await stack.sql<{ calendar_api_key_sealed: string }>(
      'SELECT calendar_api_key_sealed FROM numbers.phone_numbers WHERE phone_number = $1',
      [f.phone],
    );
    const box = new SecretBox([
      { id: 'dev', key: Buffer.from('bml4ZmxleC1kZXZlbG9wbWVudC1rZXktMzItYnl0ZXM=', 'base64') },
    ]);
    expect(box.decrypt(row.calendar_api_key_sealed, f.phone)).toBe(patchedKey);

    // The webhook signing secret: the API answers it in plaintext, the broker reply holds it sealed.
    const webhookSecret = await acme.api.get('/v1/webhook-secret');
    expect(webhookSecret.body.secret).toMatch(/^whsec_/);
    const own = await brokerFor(stack);
    try {
      const reply = await own.client.request(CustomerWebhooksCommands.secretGet, {
        account_id: acme.account_id,
      });
      expect(Object.keys(reply).sort()).toEqual([
        'created_at',
        'previous_secret_expires_at',
        'secret_sealed',
      ]);
      expect(JSON.stringify(reply)).not.toContain(webhookSecret.body.secret);
    } finally {
      await own.close();
    }

    // What was published: 2 imports, 1 update (plus events), each with the sealed fields only.
    const tapped = await peekAll([tap()]);
    const commands = tapped.filter((m) => m.fields.exchange === topology.commandsExchange);
    expect(commands.map((m) => m.fields.routingKey).sort()).toEqual(
      [NumbersCommands.numbersImport, NumbersCommands.numbersImport, NumbersCommands.numbersUpdate].sort(),
    );
    for (const m of commands) {
      const body = JSON.parse(m.content.toString('utf8'));
      expect(body).not.toHaveProperty('twilio_token');
      expect(body.calendar).not.toHaveProperty('api_key');
      expect(body.calendar.api_key_sealed).toMatch(/^v1:dev:/);
      if (m.fields.routingKey === NumbersCommands.numbersImport) {
        expect(body.twilio_token_sealed).toMatch(/^v1:dev:/);
      }
    }

    // The tap rejects what it saw: RabbitMQ dead-letters it into the numbers dead queue.
    const reject = await conn.createChannel();
    for (;;) {
      const m = await reject.get(tap(), { noAck: false });
      if (!m) break;
      reject.nack(m, false, false);
    }
    await reject.close();

    const everything = await peekAll([tap(), ...SERVICES.flatMap((s) => topology.allQueues(s))]);
    const dead = everything.filter((m) => m.fields.routingKey === topology.deadQueue('numbers'));
    expect(dead.length).toBeGreaterThanOrEqual(3);
    const secrets = [token, goodKey, wrongToken, refusedKey, patchedKey, webhookSecret.body.secret];
    for (const m of everything) {
      for (const s of secrets) expect(asText(m)).not.toContain(s);
    }

    const log = fs.readFileSync(stack.logFile, 'utf8');
    expect(log.length).toBeGreaterThan(0);
    for (const s of secrets) expect(log).not.toContain(s);
  });
});
