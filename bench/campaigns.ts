/**
 * The campaign section of `npm run bench`:
 * - throughput: one 10,000-recipient campaign from `POST /v1/campaigns` to
 *   every message accepted by the Twilio sandbox, pacing lifted
 *   (`SMS_PACING=off`): what the engine itself can push;
 * - accuracy: three senders paced at 10 segments/s each, one campaign per
 *   sender started at the same instant, measured on the sandbox's receive
 *   times (achieved rate, the most messages in any 1 s window) and against
 *   the campaign's ETA.
 */
import { campaignBody } from '../test/factories/campaigns';
import { SmsSender, sandboxAdmin, smsSender } from '../test/factories/sms';
import { Stack, waitFor } from '../test/harness/stack';
import { rssMb } from './measure';

const N = Number(process.env.BENCH_CAMPAIGN_N ?? 10_000);
const PACED_N = Number(process.env.BENCH_CAMPAIGN_PACED_N ?? 150);
const PACE = 10;
const SENDERS = 3;

export interface CampaignResults {
  n: number;
  createMs: number;
  drainS: number;
  perSecond: number;
  rssMessagingMb: number;
  rssGatewayMb: number;
  paced: { sender: number; rate: number; maxIn1s: number; etaErrorS: number }[];
}

const recipients = (n: number, offset: number) =>
  Array.from({ length: n }, (_, i) => ({
    to: `+447${String(offset + i).padStart(5, '0')}1234`,
    variables: { first_name: `P${i}` },
  }));

async function atTwilio(stack: Stack, id: string): Promise<number> {
  const [{ n }] = await stack.sql(
    `SELECT count(*)::int AS n FROM messaging.messages WHERE campaign_id = $1 AND twilio_sid IS NOT NULL`,
    [id],
  );
  return n;
}

export async function campaignBench(log: (msg: string) => void): Promise<CampaignResults> {
  const lifted = await Stack.start({
    env: { LOG_LEVEL: 'warn', SANDBOX_CALLBACK_DELAY_MS: '0', SMS_PACING: 'off' },
  });
  let throughput: Omit<CampaignResults, 'paced'>;
  try {
    const s = await smsSender(lifted);
    const t0 = performance.now();
    const res = await s.account.api.post(
      '/v1/campaigns',
      campaignBody(s, recipients(N, 0), { quiet_hours: false }),
    );
    const createMs = performance.now() - t0;
    if (res.status !== 201) throw new Error(`campaign: ${res.status} ${JSON.stringify(res.body)}`);
    await waitFor(
      'every message at the sandbox',
      async () => (await atTwilio(lifted, res.body.campaign_id)) === N,
      600_000,
      200,
    );
    const drainS = (performance.now() - t0) / 1000;
    throughput = {
      n: N,
      createMs,
      drainS,
      perSecond: N / drainS,
      rssMessagingMb: Math.round(rssMb(lifted.procs.get('messaging')?.pid)),
      rssGatewayMb: Math.round(rssMb(lifted.procs.get('gateway')?.pid)),
    };
    log(`campaign of ${N}: created in ${createMs.toFixed(0)} ms, all at Twilio after ${drainS.toFixed(1)} s`);
  } finally {
    await lifted.stop();
  }

  const paced = await Stack.start({ env: { LOG_LEVEL: 'warn', SANDBOX_CALLBACK_DELAY_MS: '0' } });
  try {
    const senders: SmsSender[] = [];
    for (let i = 0; i < SENDERS; i++) {
      const s = await smsSender(paced);
      const set = await s.account.api.patch(`/v1/phone-numbers/${encodeURIComponent(s.from_number)}`, {
        sms_rate_per_second: PACE,
      });
      if (set.status !== 200) throw new Error(`rate: ${set.status} ${JSON.stringify(set.body)}`);
      senders.push(s);
    }
    const sendAt = new Date(Date.now() + 8000).toISOString();
    const started = await Promise.all(
      senders.map((s, i) =>
        s.account.api.post(
          '/v1/campaigns',
          campaignBody(s, recipients(PACED_N, 50_000 + i * PACED_N), { quiet_hours: false, send_at: sendAt }),
        ),
      ),
    );
    const ids = started.map((r) => {
      if (r.status !== 201) throw new Error(`campaign: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.campaign_id as string;
    });
    await waitFor(
      'the paced campaigns at the sandbox',
      async () => (await Promise.all(ids.map((id) => atTwilio(paced, id)))).every((n) => n === PACED_N),
      PACED_N * 1000 + 60_000,
      200,
    );
    const results: CampaignResults['paced'] = [];
    for (const [i, s] of senders.entries()) {
      const msgs = await sandboxAdmin<any[]>(
        paced,
        'GET',
        `/messages?from=${encodeURIComponent(s.from_number)}`,
      );
      const times = msgs.map((m) => Number(m.received_at_ms)).sort((a, b) => a - b);
      let maxIn1s = 0;
      for (let a = 0, b = 0; b < times.length; b++) {
        while (times[b] - times[a] >= 1000) a++;
        maxIn1s = Math.max(maxIn1s, b - a + 1);
      }
      const rate = ((times.length - 1) / (times[times.length - 1] - times[0])) * 1000;
      const etaErrorS = (times[times.length - 1] - Date.parse(started[i].body.eta)) / 1000;
      results.push({ sender: i + 1, rate, maxIn1s, etaErrorS });
      log(
        `paced sender ${i + 1}: ${rate.toFixed(2)}/s, at most ${maxIn1s} in 1 s, last ${etaErrorS.toFixed(1)} s after the ETA`,
      );
    }
    return { ...throughput, paced: results };
  } finally {
    await paced.stop();
  }
}

export function campaignRows(r: CampaignResults): string[] {
  const paced = r.paced
    .map(
      (p) =>
        `${p.rate.toFixed(2)}/s (max ${p.maxIn1s} in 1 s, ETA ${p.etaErrorS >= 0 ? '+' : ''}${p.etaErrorS.toFixed(1)} s)`,
    )
    .join('; ');
  return [
    `| 8 | campaign of ${r.n} recipients: \`POST /v1/campaigns\` answered (ms) | ${r.createMs.toFixed(0)} |`,
    `| 8 | campaign of ${r.n}: create to all accepted by Twilio, pacing lifted (s) | ${r.drainS.toFixed(1)} (${r.perSecond.toFixed(0)}/s) |`,
    `| 8 | RSS after the campaign: messaging / gateway (MiB) | ${r.rssMessagingMb} / ${r.rssGatewayMb} |`,
    `| 8 | pacing at ${PACE}/s on ${SENDERS} senders (${PACED_N} each): achieved rate per sender | ${paced} |`,
  ];
}
