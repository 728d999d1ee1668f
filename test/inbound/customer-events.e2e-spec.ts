import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { inbound, waitForReplies } from '../factories/inbound';
import { SmsSender, recipient, send, smsSender } from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';

describe('Inbound SMS: customer events and Twilio 21610 opt-outs', () => {
  let stack: Stack;
  let s: SmsSender;
  let server: Server;
  const received: any[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    stack = await Stack.start();
    s = await smsSender(stack);
    const port = (server.address() as AddressInfo).port;
    const res = await s.account.api.patch(`/v1/phone-numbers/${encodeURIComponent(s.from_number)}`, {
      webhook_url: `http://127.0.0.1:${port}/hook`,
    });
    expect(res.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    server?.close();
  });

  const eventsFor = (recipientNumber: string) =>
    received.filter((e) => JSON.stringify(e.data).includes(recipientNumber)).map((e) => e.type);

  it('emits sms.received and sms.replied for an answered message, sms.opted_out/in for STOP/START', async () => {
    const from = recipient();
    await inbound(stack, from, s.from_number, 'Hi there');
    await waitForReplies(stack, s, from, 1);
    await inbound(stack, from, s.from_number, 'STOP');
    await waitFor('opted out event', async () => eventsFor(from).includes('sms.opted_out'));
    await inbound(stack, from, s.from_number, 'START');
    await waitFor('all events', async () => {
      const types = eventsFor(from);
      return ['sms.received', 'sms.replied', 'sms.opted_out', 'sms.opted_in'].every((t) => types.includes(t));
    });
  });

  it('records an opt-out when Twilio refuses a send with 21610', async () => {
    const to = recipient('1610');
    expect((await send(s, to, 'Hello')).status).toBe(202);
    const optOut = await waitFor('21610 opt-out', async () => {
      const res = await s.account.api.get('/v1/opt-outs');
      return res.body.data.find((o: any) => o.recipient === to);
    });
    expect(optOut).toMatchObject({ phone_number: s.from_number, source: 'twilio_21610', keyword: null });
    const again = await send(s, to, 'Hello again');
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('recipient_opted_out');
  });
});
