import { campaignBody, waitForCampaign } from '../factories/campaigns';
import { sandboxMessages, smsSender } from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';
import { DRILL_ENV } from './load';

const RECIPIENTS = Number(process.env.FAULTS_CAMPAIGN_RECIPIENTS ?? 1000);

describe('kill -9 of messaging in the middle of a campaign', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Pacing lifted: the drill is about exactly once, not about the pace.
    stack = await Stack.start({ env: { LOG_LEVEL: 'warn', ...DRILL_ENV, SMS_DISPATCH_POLL_MS: '200' } });
  });
  afterAll(() => stack?.stop());

  it('every recipient gets exactly one message', async () => {
    const sender = await smsSender(stack);
    const recipients = Array.from({ length: RECIPIENTS }, (_, i) => ({
      to: `+447${String(i).padStart(5, '0')}1234`,
      variables: { n: String(i) },
    }));
    const res = await sender.account.api.post(
      '/v1/campaigns',
      campaignBody(sender, recipients, { message: 'Drill {{n}}', quiet_hours: false }),
    );
    expect(res.status).toBe(201);
    const id = res.body.campaign_id;
    await waitFor(
      'a quarter of the campaign at Twilio',
      async () => {
        const [{ n }] = await stack.sql(
          `SELECT count(*)::int AS n FROM messaging.messages WHERE campaign_id = $1 AND twilio_sid IS NOT NULL`,
          [id],
        );
        return n >= RECIPIENTS / 4;
      },
      120_000,
      20,
    );
    await stack.kill('messaging');
    const [{ n: atKill }] = await stack.sql(
      `SELECT count(*)::int AS n FROM messaging.messages WHERE campaign_id = $1 AND twilio_sid IS NOT NULL`,
      [id],
    );
    expect(atKill).toBeLessThan(RECIPIENTS);
    stack.spawn('messaging');
    await stack.waitHealthy(60_000);

    const done = await waitForCampaign(
      sender,
      id,
      (b) => b.status === 'completed' && b.counts.delivered === RECIPIENTS,
      240_000,
    );
    expect(done.counts).toMatchObject({ delivered: RECIPIENTS, failed: 0, skipped: 0, canceled: 0 });
    const received = await sandboxMessages(stack, { from: sender.from_number });
    const perRecipient = new Map<string, string[]>();
    for (const m of received) perRecipient.set(m.to, [...(perRecipient.get(m.to) ?? []), m.body]);
    const wrong = recipients.filter((r) => {
      const got = perRecipient.get(r.to) ?? [];
      return got.length !== 1 || got[0] !== `Drill ${r.variables.n}`;
    });
    expect({ recipients: perRecipient.size, wrong: wrong.length }).toEqual({
      recipients: RECIPIENTS,
      wrong: 0,
    });
  });
});
