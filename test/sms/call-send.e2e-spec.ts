import { AppError, BrokerClient, MessagingCommands, SendCallSmsCommand, newId } from '@nixflex/common';
import { inbound, waitForInbound } from '../factories/inbound';
import { SmsSender, recipient, sandboxMessages, send, smsSender, waitForSms } from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';
import { StackBroker, brokerFor } from '../factories/broker';

/**
 * `sms.call-send.v1`, asked over RabbitMQ as voice asks it: an SMS a call
 * wants sent goes through every check of POST /v1/sms, is linked to the call,
 * and is stored and sent once per idempotency key.
 */
describe('SMS a call asks for (sms.call-send.v1)', () => {
  let stack: Stack;
  let s: SmsSender;
  let broker: StackBroker;
  let client: BrokerClient;

  beforeAll(async () => {
    stack = await Stack.start();
    s = await smsSender(stack);
    broker = await brokerFor(stack, 10_000);
    client = broker.client;
  }, 60_000);
  afterAll(async () => {
    await broker?.close();
    await stack?.stop();
  });

  const command = (over: Partial<SendCallSmsCommand> = {}): SendCallSmsCommand => {
    const call_id = over.call_id ?? newId('call');
    return {
      account_id: s.account.account_id,
      agent_id: s.agent_id,
      call_id,
      from_number: s.from_number,
      to: recipient(),
      message: 'Your booking is confirmed for Thursday at 9:00 am.',
      source: 'in_call',
      idempotency_key: `${call_id}:turn:1:sms:0`,
      ...over,
    };
  };
  const refusal = (cmd: SendCallSmsCommand) =>
    client.request(MessagingCommands.callSmsSend, cmd).then(
      () => {
        throw new Error('expected a refusal');
      },
      (err: unknown) => err as AppError,
    );

  it('stores the SMS linked to the call and sends it once, however often it is asked', async () => {
    const cmd = command();
    const first = await client.request(MessagingCommands.callSmsSend, cmd);
    const again = await Promise.all([
      client.request(MessagingCommands.callSmsSend, cmd),
      client.request(MessagingCommands.callSmsSend, cmd),
    ]).catch(async () => [
      // A concurrent duplicate may be told `idempotency_key_in_use`; then it is asked again, as voice does.
      await client.request(MessagingCommands.callSmsSend, cmd),
    ]);
    for (const a of again) expect(a).toEqual(first);
    expect(first).toMatchObject({ status: 'queued', to: cmd.to, from_number: s.from_number, segments: 1 });

    const sent = await waitForSms(s, first.message_id, (b) => b.status === 'delivered');
    expect(sent).toMatchObject({
      message_id: first.message_id,
      direction: 'outbound',
      source: 'in_call',
      call_id: cmd.call_id,
      message: cmd.message,
      in_reply_to: null,
      bookings: [],
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(await sandboxMessages(stack, { to: cmd.to })).toHaveLength(1);

    const listed = await s.account.api.get(`/v1/sms?call_id=${cmd.call_id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((m: any) => m.message_id)).toEqual([first.message_id]);
    const byRpc = await client.request(MessagingCommands.smsList, {
      account_id: s.account.account_id,
      call_id: cmd.call_id,
    });
    expect(byRpc.data.map((m) => [m.message_id, m.source, m.call_id])).toEqual([
      [first.message_id, 'in_call', cmd.call_id],
    ]);
  });

  it('refuses the same key with another message (idempotency_key_reused) and sends nothing more', async () => {
    const cmd = command({ source: 'post_call', idempotency_key: `${newId('call')}:post_call` });
    const first = await client.request(MessagingCommands.callSmsSend, cmd);
    const err = await refusal({ ...cmd, message: 'Something else entirely' });
    expect(err.code).toBe('idempotency_key_reused');
    const sms = await waitForSms(s, first.message_id, (b) => b.status === 'delivered');
    expect(sms).toMatchObject({ source: 'post_call', call_id: cmd.call_id });
    expect(await sandboxMessages(stack, { to: cmd.to })).toHaveLength(1);
  });

  it("keeps a call's keys apart from a customer's Idempotency-Key of the same text", async () => {
    const cmd = command();
    const viaCall = await client.request(MessagingCommands.callSmsSend, cmd);
    const viaApi = await send(s, cmd.to, 'A different message', { 'Idempotency-Key': cmd.idempotency_key });
    expect(viaApi.status).toBe(202);
    expect(viaApi.body.message_id).not.toBe(viaCall.message_id);
    const api = await waitForSms(s, viaApi.body.message_id, (b) => b.status === 'delivered');
    expect(api).toMatchObject({ source: 'api', call_id: null });
  });

  it('refuses a recipient who opted out of the number (recipient_opted_out) and stores nothing', async () => {
    const to = recipient();
    const stop = await inbound(stack, to, s.from_number, 'STOP');
    await waitForInbound(stack, s, stop.message_sid);
    await waitFor('opt-out listed', async () => {
      const res = await s.account.api.get(`/v1/opt-outs?phone_number=${encodeURIComponent(s.from_number)}`);
      return res.body.data.find((o: any) => o.recipient === to);
    });
    const cmd = command({ to });
    const err = await refusal(cmd);
    expect(err.code).toBe('recipient_opted_out');
    const listed = await s.account.api.get(`/v1/sms?call_id=${cmd.call_id}`);
    expect(listed.body.data).toEqual([]);
  });

  it('applies the 1600-character cap and the checks of POST /v1/sms, each with its code', async () => {
    expect((await refusal(command({ message: 'x'.repeat(1601) }))).code).toBe('message_too_long');
    expect((await refusal(command({ message: '   ' }))).code).toBe('message_empty');
    expect((await refusal(command({ to: 'not a number' }))).code).toBe('invalid_phone_format');
    expect((await refusal(command({ from_number: '+447700900999' }))).code).toBe('number_not_found');
    expect((await refusal(command({ source: 'api' as never }))).code).toBe('validation_failed');
    // Nothing refused was stored: only the messages of the earlier cases are linked to calls.
    const rows = await stack.sql(
      `SELECT 1 FROM messaging.messages WHERE account_id = $1 AND length(body) > 1600`,
      [s.account.account_id],
    );
    expect(rows).toHaveLength(0);
  });
});
