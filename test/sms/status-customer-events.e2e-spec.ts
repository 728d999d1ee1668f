import { Webhook } from 'standardwebhooks';
import { FAST_WEBHOOK_ENV, Receiver, ReceivedWebhook, webhookSecret } from '../factories/customer-webhooks';
import {
  SmsSender,
  clearFaults,
  recipient,
  sandboxFaults,
  send,
  smsSender,
  waitForSms,
} from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SMS: sms.status_updated reaches the number’s webhook', () => {
  let stack: Stack;
  let s: SmsSender;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await Receiver.start();
    stack = await Stack.start({ env: FAST_WEBHOOK_ENV });
    s = await smsSender(stack);
    const res = await s.account.api.patch(`/v1/phone-numbers/${encodeURIComponent(s.from_number)}`, {
      webhook_url: receiver.url('/status'),
    });
    expect(res.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });
  afterEach(() => clearFaults(stack));

  const statusEvents = (messageId: string): { hook: ReceivedWebhook; body: any }[] =>
    receiver.received
      .map((hook) => ({ hook, body: JSON.parse(hook.body) }))
      .filter((e) => e.body.type === 'sms.status_updated' && e.body.data.message_id === messageId);

  /** Waits for `statuses`, then a little longer, so a late duplicate would be seen. */
  async function eventsFor(messageId: string, statuses: string[]) {
    await waitFor(`sms.status_updated ${statuses.join(', ')}`, async () => {
      const got = statusEvents(messageId).map((e) => e.body.data.status);
      return statuses.every((st) => got.includes(st));
    });
    await sleep(1500);
    return statusEvents(messageId);
  }

  it('delivers sent and delivered once each, signed, with the message facts', async () => {
    const to = recipient('1234');
    const sent = await send(s, to, 'Status events please');
    expect(sent.status).toBe(202);
    const id = sent.body.message_id;
    const msg = await waitForSms(s, id, (b) => b.status === 'delivered');

    const events = await eventsFor(id, ['sent', 'delivered']);
    const statuses = events.map((e) => e.body.data.status);
    expect(statuses.filter((st) => st === 'sent')).toHaveLength(1);
    expect(statuses.filter((st) => st === 'delivered')).toHaveLength(1);
    // Every applied change is one event, each under its own id.
    expect(new Set(statuses).size).toBe(statuses.length);
    expect(new Set(events.map((e) => e.hook.headers['webhook-id'])).size).toBe(events.length);

    const secret = await webhookSecret(s.account);
    const delivered = events.find((e) => e.body.data.status === 'delivered')!;
    const verified = new Webhook(secret).verify(delivered.hook.body, delivered.hook.headers);
    expect(verified).toEqual({
      id: `evt_sms_status_${id}_delivered`,
      type: 'sms.status_updated',
      timestamp: delivered.body.data.at,
      account_id: s.account.account_id,
      phone_number: s.from_number,
      agent_id: s.agent_id,
      data: {
        message_id: id,
        status: 'delivered',
        previous_status: 'sent',
        error_code: null,
        error_message: null,
        soft_failure: false,
        twilio_sid: msg.twilio_sid,
        to,
        from_number: s.from_number,
        call_id: null,
        at: expect.any(String),
      },
    });
    expect(delivered.hook.path).toBe('/status');
    for (const e of events)
      expect(() => new Webhook(secret).verify(e.hook.body, e.hook.headers)).not.toThrow();
  });

  it('words the error code of a failure, never the provider text', async () => {
    const to = recipient('0003');
    const sent = await send(s, to, 'This one will not arrive');
    expect(sent.status).toBe(202);
    const id = sent.body.message_id;
    await waitForSms(s, id, (b) => b.status === 'undelivered' && b.error_code === '30003');
    const events = await eventsFor(id, ['undelivered']);
    const undelivered = events.filter((e) => e.body.data.status === 'undelivered');
    expect(undelivered).toHaveLength(1);
    expect(undelivered[0].body.id).toBe(`evt_sms_status_${id}_undelivered`);
    expect(undelivered[0].body.data).toMatchObject({
      error_code: '30003',
      error_message: 'Unreachable destination handset',
      soft_failure: false,
    });
  });

  it('stays once per event when callbacks are shuffled and duplicated; a code fetched later is announced', async () => {
    await sandboxFaults(stack, { callbacks: { shuffle: true, duplicate: true, delay_ms: 2 } });
    const to = recipient('0003');
    const sent = await send(s, to, 'Shuffled callbacks');
    expect(sent.status).toBe(202);
    const id = sent.body.message_id;
    await waitForSms(s, id, (b) => b.status === 'undelivered' && b.error_code === '30003');
    // The undelivered callback may overtake the code: then the code follows in its own event.
    await waitFor('the code announced', async () =>
      statusEvents(id).some(
        (e) => e.body.data.status === 'undelivered' && e.body.data.error_code === '30003',
      ),
    );
    await sleep(1500);
    const events = statusEvents(id);
    const ids = events.map((e) => e.body.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(`evt_sms_status_${id}_undelivered`);
    for (const e of events) {
      expect(e.body.id).toMatch(
        new RegExp(`^evt_sms_status_${id}_(queued|sending|sent|undelivered)(_error_code)?$`),
      );
    }
  });
});
