import { DateTime } from 'luxon';
import { AddressInfo } from 'node:net';
import { Server, createServer } from 'node:http';
import {
  allRecipients,
  campaignBody,
  campaignFields,
  uploadCampaign,
  waitForCampaign,
} from '../factories/campaigns';
import { inbound } from '../factories/inbound';
import { SmsSender, recipient, sandboxMessages, smsSender } from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const code = (res: { body: any }) => res.body?.error?.code;

describe('SMS campaigns', () => {
  let stack: Stack;
  let s: SmsSender;
  let server: Server;
  const hooks: any[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hooks.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    stack = await Stack.start({ env: { SMS_DISPATCH_POLL_MS: '200' } });
    s = await smsSender(stack);
    const port = (server.address() as AddressInfo).port;
    const hooked = await s.account.api.patch(`/v1/phone-numbers/${encodeURIComponent(s.from_number)}`, {
      webhook_url: `http://127.0.0.1:${port}/hook`,
    });
    expect(hooked.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    server?.close();
  });

  const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();

  it('renders the template per recipient, skips bad rows with reasons, reports length and cost, then sends each once', async () => {
    const optedOut = recipient();
    await inbound(stack, optedOut, s.from_number, 'STOP');
    await waitFor('the opt-out', async () =>
      (await s.account.api.get('/v1/opt-outs')).body.data.some((o: any) => o.recipient === optedOut),
    );
    const [ada, bob, cy] = [recipient(), recipient(), recipient()];
    const long = 'x'.repeat(650);
    const res = await s.account.api.post(
      '/v1/campaigns',
      campaignBody(
        s,
        [
          { to: ada, variables: { first_name: 'Ada' } },
          { to: bob, variables: { first_name: 'Bob', extra: 'unused' } },
          { to: cy, variables: { first_name: long } },
          { to: ada, variables: { first_name: 'Ada again' } },
          { to: '07700 900123', variables: { first_name: 'Local' } },
          { to: recipient() },
          { to: '+12125550143', variables: { first_name: 'Sam' } },
          { to: optedOut, variables: { first_name: 'Opted' } },
          { to: recipient(), variables: { first_name: 'y'.repeat(1600) } },
        ],
        { quiet_hours: false },
      ),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      campaign_id: expect.stringMatching(/^cmp_[0-9a-f]{16}$/),
      name: 'Reminders',
      recipients_total: 9,
      over_600: 1,
      skipped_by_reason: {
        duplicate: 1,
        invalid_number: 1,
        missing_variable: 1,
        destination_not_allowed: 1,
        opted_out: 1,
        message_too_long: 1,
      },
    });
    expect(res.body.counts.skipped).toBe(6);
    // Ada and Bob: 1 segment each; Cy's 650+ characters: 5 GSM-7 segments of 153.
    expect(res.body.segments_total).toBe(7);
    expect(res.body.estimated_cost).toMatchObject({ currency: 'GBP', amount: 0.28 });

    const id = res.body.campaign_id;
    const done = await waitForCampaign(s, id, (b) => b.status === 'completed' && b.counts.delivered === 3);
    expect(done.counts).toMatchObject({ delivered: 3, skipped: 6, pending: 0, queued: 0, failed: 0 });
    expect(done.eta).toBeNull();
    for (const [to, name] of [
      [ada, 'Ada'],
      [bob, 'Bob'],
    ]) {
      const got = await sandboxMessages(stack, { to });
      expect(got.map((m) => m.body)).toEqual([`Hi ${name}, see you soon.`]);
    }
    expect(await sandboxMessages(stack, { to: optedOut })).toHaveLength(0);

    const rows = await allRecipients(s, id);
    expect(rows.map((r) => r.row)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rows[3]).toMatchObject({ to: ada, state: 'skipped', skip_reason: 'duplicate', message_id: null });
    expect(rows[4]).toMatchObject({ to: '07700 900123', state: 'skipped', skip_reason: 'invalid_number' });
    expect(rows[5].skip_message).toMatch(/first_name/);
    expect(rows[0]).toMatchObject({ state: 'delivered', message_id: expect.stringMatching(/^msg_/) });
    const skipped = await allRecipients(s, id, 'state=skipped');
    expect(skipped.map((r) => r.row)).toEqual([4, 5, 6, 7, 8, 9]);

    const sms = await s.account.api.get(`/v1/sms/${rows[0].message_id}`);
    expect(sms.body).toMatchObject({ source: 'campaign', campaign_id: id, status: 'delivered' });

    const completedHooks = () =>
      hooks.filter((h) => h.type === 'campaign.completed' && h.data.campaign_id === id);
    await waitFor('campaign.completed', async () => completedHooks().length > 0);
    await sleep(1500);
    const completed = completedHooks();
    expect(completed).toHaveLength(1);
    expect(completed[0].data).toMatchObject({ status: 'completed', recipients_total: 9 });
  });

  it('links a reply to the campaign and the agent answers it', async () => {
    const to = recipient();
    const res = await s.account.api.post(
      '/v1/campaigns',
      campaignBody(s, [{ to, variables: { first_name: 'Rae' } }], { quiet_hours: false }),
    );
    expect(res.status).toBe(201);
    await waitForCampaign(s, res.body.campaign_id, (b) => b.counts.delivered === 1);
    const reply = await inbound(stack, to, s.from_number, 'Can I move it to Friday?');
    const received = await waitFor('the reply', async () => {
      const got = await s.account.api.get(`/v1/sms/${reply.message_sid}`);
      return got.status === 200 ? got.body : undefined;
    });
    expect(received).toMatchObject({ direction: 'inbound', campaign_id: res.body.campaign_id });
    await waitFor('the agent reply', async () => (await sandboxMessages(stack, { to })).length === 2);
  });

  it('refuses a campaign with nothing to send (422) and leaves nothing behind', async () => {
    const before = (await s.account.api.get('/v1/campaigns?limit=200')).body.data.length;
    const res = await s.account.api.post(
      '/v1/campaigns',
      campaignBody(s, [{ to: 'nope', variables: { first_name: 'A' } }, { to: recipient() }]),
    );
    expect(res.status).toBe(422);
    expect(code(res)).toBe('campaign_no_recipients');
    expect(res.body.error.details).toMatchObject({
      recipients_total: 2,
      skipped_by_reason: { invalid_number: 1, missing_variable: 1 },
    });
    expect((await s.account.api.get('/v1/campaigns?limit=200')).body.data.length).toBe(before);
  });

  it('refuses bad campaign fields with their codes', async () => {
    const bad = await s.account.api.post(
      '/v1/campaigns',
      campaignBody(s, [{ to: recipient() }], { message: 'Hi {{first name}}' }),
    );
    expect(bad.status).toBe(400);
    expect(code(bad)).toBe('invalid_template');
    const when = await s.account.api.post(
      '/v1/campaigns',
      campaignBody(s, [{ to: recipient() }], { send_at: 'soon' }),
    );
    expect(code(when)).toBe('invalid_send_at');
    const noNumber = await s.account.api.post(
      '/v1/campaigns',
      campaignBody(s, [{ to: recipient() }], { from_number: '+447700900999' }),
    );
    expect(code(noNumber)).toBe('number_not_found');
    const tooMany = await s.account.api.post(
      '/v1/campaigns',
      campaignBody(
        s,
        Array.from({ length: 10_001 }, () => ({ to: '+447700900000' })),
      ),
    );
    expect(tooMany.status).toBe(400);
    expect(code(tooMany)).toBe('validation_failed');
    const missing = await s.account.api.post('/v1/campaigns', { name: 'x' });
    expect(code(missing)).toBe('validation_failed');
    const noTo = await uploadCampaign(s, campaignFields(s), 'phone,first_name\n+447700900123,Ada\n');
    expect(noTo.status).toBe(400);
    expect(code(noTo)).toBe('invalid_csv');
    const noFile = await uploadCampaign(s, campaignFields(s), null);
    expect(code(noFile)).toBe('validation_failed');
    const broken = await uploadCampaign(s, campaignFields(s), 'to,first_name,code\n+447700900123,"Ada,1\n');
    expect(code(broken)).toBe('invalid_csv');
    const notFound = await s.account.api.get('/v1/campaigns/cmp_0000000000000000');
    expect(notFound.status).toBe(404);
    expect(code(notFound)).toBe('campaign_not_found');
  });

  it('streams a 20,000-row CSV, then cancels it before it starts: nothing reaches Twilio', async () => {
    const lines = ['to,first_name,code'];
    for (let i = 0; i < 20_000; i++) lines.push(`+4477009${String(i).padStart(5, '0')},P${i},${i}`);
    lines.push('not-a-number,X,1');
    const started = Date.now();
    const res = await uploadCampaign(
      s,
      campaignFields(s, { send_at: inFuture(3600_000), quiet_hours: 'false' }),
      lines.join('\n'),
    );
    const took = Date.now() - started;
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'scheduled',
      recipients_total: 20_001,
      skipped_by_reason: { invalid_number: 1 },
      segments_total: 20_000,
    });
    expect(res.body.counts).toMatchObject({ pending: 20_000, skipped: 1 });
    expect(Date.parse(res.body.eta)).toBeGreaterThan(Date.parse(res.body.starts_at));
    console.log(`20,001-row CSV campaign created in ${took} ms`);
    const row = (await allRecipients(s, res.body.campaign_id, 'state=skipped'))[0];
    expect(row).toMatchObject({ row: 20_001, to: 'not-a-number', skip_reason: 'invalid_number' });

    const canceled = await s.account.api.post(`/v1/campaigns/${res.body.campaign_id}/cancel`, {});
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: 'canceled', counts: { canceled: 20_000, pending: 0 } });
    const again = await s.account.api.post(`/v1/campaigns/${res.body.campaign_id}/cancel`, {});
    expect(again.status).toBe(200);
    const resume = await s.account.api.post(`/v1/campaigns/${res.body.campaign_id}/resume`, {});
    expect(code(resume)).toBe('campaign_not_resumable');
    await waitFor('the canceled campaign to be announced', async () =>
      hooks.some((h) => h.type === 'campaign.completed' && h.data.campaign_id === res.body.campaign_id),
    );
    expect(await sandboxMessages(stack, { to: '+447700900001' })).toHaveLength(0);
  }, 120_000);

  it('pauses and resumes: nothing is released while paused', async () => {
    const tos = [recipient(), recipient(), recipient()];
    const res = await s.account.api.post(
      '/v1/campaigns',
      campaignBody(
        s,
        tos.map((to) => ({ to, variables: { first_name: 'P' } })),
        { send_at: inFuture(1500), quiet_hours: false },
      ),
    );
    expect(res.status).toBe(201);
    const id = res.body.campaign_id;
    const paused = await s.account.api.post(`/v1/campaigns/${id}/pause`, {});
    expect(paused.body).toMatchObject({ status: 'paused', paused_at: expect.any(String), eta: null });
    expect((await s.account.api.post(`/v1/campaigns/${id}/pause`, {})).status).toBe(200);
    await sleep(3000);
    for (const to of tos) expect(await sandboxMessages(stack, { to })).toHaveLength(0);
    expect((await s.account.api.get(`/v1/campaigns/${id}`)).body.counts.pending).toBe(3);
    const resumed = await s.account.api.post(`/v1/campaigns/${id}/resume`, {});
    expect(resumed.body).toMatchObject({ status: 'running', paused_at: null });
    const done = await waitForCampaign(s, id, (b) => b.status === 'completed');
    expect(done.counts.delivered + done.counts.sent).toBe(3);
    for (const to of tos) expect(await sandboxMessages(stack, { to })).toHaveLength(1);
    const late = await s.account.api.post(`/v1/campaigns/${id}/pause`, {});
    expect(code(late)).toBe('campaign_not_pausable');
  });

  it('a STOP mid-campaign cancels what is still pending for that recipient only', async () => {
    const [stopper, other] = [recipient(), recipient()];
    const res = await s.account.api.post(
      '/v1/campaigns',
      campaignBody(
        s,
        [stopper, other].map((to) => ({ to, variables: { first_name: 'S' } })),
        { send_at: inFuture(2500), quiet_hours: false },
      ),
    );
    expect(res.status).toBe(201);
    await inbound(stack, stopper, s.from_number, 'STOP');
    // Completion comes when nothing is left to hand to Twilio; the delivery callback may come after it.
    const done = await waitForCampaign(
      s,
      res.body.campaign_id,
      (b) => b.status === 'completed' && b.counts.delivered === 1,
    );
    expect(done.counts).toMatchObject({ delivered: 1, skipped: 1 });
    expect(done.skipped_by_reason).toEqual({ opted_out: 1 });
    expect(await sandboxMessages(stack, { to: stopper })).toHaveLength(0);
    expect(await sandboxMessages(stack, { to: other })).toHaveLength(1);
    const [row] = await allRecipients(s, res.body.campaign_id, 'state=skipped');
    expect(row).toMatchObject({ to: stopper, skip_reason: 'opted_out' });
  });

  it('defers recipients in quiet hours to 09:00 their time (state deferred)', async () => {
    const tomorrow = DateTime.now().setZone('Europe/London').plus({ days: 1 });
    const sendAt = tomorrow.set({ hour: 22, minute: 0, second: 0, millisecond: 0 });
    const nine = sendAt.plus({ days: 1 }).set({ hour: 9 });
    const res = await s.account.api.post(
      '/v1/campaigns',
      campaignBody(s, [{ to: recipient(), variables: { first_name: 'Q' } }], { send_at: sendAt.toISO() }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'scheduled',
      respect_quiet_hours: true,
      counts: { deferred: 1 },
    });
    const [row] = await allRecipients(s, res.body.campaign_id);
    expect(row).toMatchObject({ state: 'deferred', scheduled_for: nine.toUTC().toISO() });
    expect(Date.parse(res.body.eta)).toBeGreaterThanOrEqual(nine.toMillis());
    await s.account.api.post(`/v1/campaigns/${res.body.campaign_id}/cancel`, {});
  });

  it('an Idempotency-Key answers a retried create with the first campaign', async () => {
    const body = campaignBody(s, [{ to: recipient(), variables: { first_name: 'I' } }], {
      send_at: inFuture(3600_000),
    });
    const headers = { 'idempotency-key': `cmp-${Date.now()}` };
    const first = await s.account.api.post('/v1/campaigns', body, headers);
    const second = await s.account.api.post('/v1/campaigns', body, headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.campaign_id).toBe(first.body.campaign_id);
    const other = await s.account.api.post('/v1/campaigns', { ...body, name: 'Other' }, headers);
    expect(code(other)).toBe('idempotency_key_reused');
    const list = (await s.account.api.get('/v1/campaigns?limit=200')).body.data;
    expect(list.filter((c: any) => c.campaign_id === first.body.campaign_id)).toHaveLength(1);
    expect(list[0].campaign_id).toBe(first.body.campaign_id);
    await s.account.api.post(`/v1/campaigns/${first.body.campaign_id}/cancel`, {});
  });
});
