import { Receiver } from '../factories/customer-webhooks';
import { inbound, llmRequests } from '../factories/inbound';
import { ukMobile } from '../factories/sms';
import { placeCall, voiceLine } from '../factories/voice';
import { Stack, waitFor } from '../harness/stack';

/**
 * What a call leaves behind for the customer and for the next conversation:
 * the number's own webhook gets `call.ended` with the transcript, and a text
 * from the same caller afterwards is answered with that call in the agent's
 * CALLER HISTORY (the other direction of "a caller who texted yesterday and
 * calls today").
 */
describe('after a call', () => {
  let stack: Stack;
  let receiver: Receiver;

  beforeAll(async () => {
    stack = await Stack.start();
    receiver = await Receiver.start();
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  it("posts call.ended with the transcript to the number's webhook, and the caller's next text knows the call", async () => {
    const line = await voiceLine(stack, {
      number: { custom_prompt: 'Business name: Bright Bite Leeds', webhook_url: receiver.url('/calls') },
    });
    const caller = ukMobile('5432');
    const report = await placeCall(stack, caller, line.phone, {
      steps: [{ say: 'Do you have anything on Friday afternoon?' }],
    });
    expect(report.status).toBe('completed');

    const delivered = await waitFor(
      'call.ended at the number webhook',
      async () => receiver.received.find((r) => JSON.parse(r.body).type === 'call.ended'),
      30_000,
    );
    expect(delivered.path).toBe('/calls');
    expect(delivered.headers['webhook-id']).toMatch(/^evt_call_ended_call_[0-9a-f]{16}$/);
    const body = JSON.parse(delivered.body);
    expect(body).toMatchObject({
      type: 'call.ended',
      phone_number: line.phone,
      agent_id: line.agent.id,
      data: {
        direction: 'inbound',
        from_number: caller,
        to: line.phone,
        twilio_sid: report.call_sid,
        status: 'completed',
        end_reason: 'caller_hung_up',
      },
    });
    expect(typeof body.data.duration_s).toBe('number');
    const roles = body.data.transcript.map((t: any) => t.role);
    expect(roles).toEqual(['agent', 'caller', 'agent']);
    expect(body.data.transcript[1].text).toBe('Do you have anything on Friday afternoon?');
    // Exactly once, however often Twilio repeated itself.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received.filter((r) => JSON.parse(r.body).type === 'call.ended')).toHaveLength(1);

    const before = (await llmRequests(stack)).length;
    await inbound(stack, caller, line.phone, 'Can you text me the address?');
    const request = await waitFor('the SMS reply request', async () => (await llmRequests(stack))[before]);
    const system: string = request.body.messages[0].content;
    expect(system).toContain('CALLER HISTORY');
    expect(system).toMatch(/call from the caller \(\d+ s\): .*Friday afternoon/);
  });
});
