/**
 * `npm run bench`: throughput, latency and memory of the local stack, with
 * the Twilio sandbox and the stub LLM answering at once, on loopback only and
 * bounded in time. Writes docs/benchmarks.md. Every figure is measured over
 * BENCH_RUNS repetitions and reported as min / median / max.
 */
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import twilio from 'twilio';
import { smsSender, SmsSender, sandboxAdmin } from '../test/factories/sms';
import { ROOT, rabbitmqUrl } from '../test/harness/infra';
import { Stack, waitFor } from '../test/harness/stack';
import { finishRun, prepareRun } from '../test/harness/template';
import { startFloor } from './floor';
import { pct, rssMb } from './measure';
import { VoiceResults, voiceBench, voiceRows } from './voice';
import { campaignBench, campaignRows } from './campaigns';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const E2E_N = Number(process.env.BENCH_E2E_N ?? 10_000);
const INBOUND_N = Number(process.env.BENCH_INBOUND_N ?? 100);
/** `BENCH_ONLY=voice` or `campaigns`: only that section, printed, docs/benchmarks.md left as it is. */
const ONLY = process.env.BENCH_ONLY;

type Series = number[];
const stats = (xs: Series) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor((s.length - 1) / 2)], max: s[s.length - 1] };
};
const log = (msg: string) => process.stdout.write(`[bench] ${msg}\n`);

function memory(stack: Stack): Record<string, number> {
  return Object.fromEntries(
    ['gateway', 'numbers', 'messaging', 'webhooks', 'voice'].map((n) => [
      n,
      Math.round(rssMb(stack.procs.get(n as any)?.pid)),
    ]),
  );
}

/** CPU seconds (user + system) used so far by each service, Postgres, RabbitMQ and this process. */
function cpuSeconds(stack: Stack): Record<string, number> {
  // utime + stime, plus cutime + cstime: the CPU of children that exited and
  // were reaped (Postgres backends of closed connections are the postmaster's
  // children, so the postmaster is in the group), without which a group's
  // total could go down between snapshots.
  const ticks = (pid: number | string): number => {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      return 0; // exited meanwhile
    }
  };
  const pids = (pattern: RegExp): number[] =>
    fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return pattern.test(fs.readFileSync(`/proc/${d}/cmdline`, 'utf8'));
        } catch {
          return false;
        }
      })
      .map(Number);
  const hz = 100; // USER_HZ on Linux
  const out: Record<string, number> = {};
  for (const name of ['gateway', 'numbers', 'messaging', 'webhooks', 'voice', 'sandbox'] as const) {
    const pid = stack.procs.get(name)?.pid;
    out[name] = pid ? ticks(pid) / hz : 0;
  }
  out.postgres = pids(/^(?:\S*\/)?postgres[\0:]/).reduce((t, pid) => t + ticks(pid), 0) / hz;
  out.rabbitmq = pids(/beam\.smp/).reduce((t, pid) => t + ticks(pid), 0) / hz;
  const self = process.cpuUsage();
  out['bench (load generator, floor)'] = (self.user + self.system) / 1e6;
  return out;
}

/** CPU milliseconds per request between two snapshots. */
function cpuPer(before: Record<string, number>, after: Record<string, number>, n: number) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, ((after[k] - before[k]) * 1000) / n]));
}

async function load(url: string, apiKey: string, body: object, opts: { duration?: number; amount?: number }) {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? DURATION_S }),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    bad: result.non2xx + result.errors + result.timeouts,
  };
}

async function countDelivered(stack: Stack, from: string): Promise<number> {
  const [{ n }] = await stack.sql(
    `SELECT count(*)::int AS n FROM messaging.messages WHERE our_number = $1 AND status = 'delivered'`,
    [from],
  );
  return n;
}

/** Waits until the sender's accepted messages were all delivered. */
async function drained(stack: Stack, from: string, accepted: number): Promise<void> {
  await waitFor('backlog drained', async () => (await countDelivered(stack, from)) >= accepted, 300_000, 500);
}

async function main(): Promise<void> {
  await prepareRun();
  if (ONLY === 'campaigns') {
    try {
      process.stdout.write(`${campaignRows(await campaignBench(log)).join('\n')}\n`);
    } finally {
      await finishRun();
    }
    return;
  }
  const stack = await Stack.start({
    // Throughput, not Twilio's per-sender pace (docs/campaigns.md, "Pacing"), nor the API's rate
    // limits (one key sends thousands a second here; docs/benchmarks.md).
    env: {
      LOG_LEVEL: 'warn',
      SANDBOX_CALLBACK_DELAY_MS: '0',
      SMS_PACING: 'off',
      RATE_LIMIT_KEY_PER_WINDOW: '100000000',
      RATE_LIMIT_ACCOUNT_PER_WINDOW: '100000000',
    },
  });
  const results: Record<string, any> = {};
  if (ONLY === 'voice') {
    try {
      const sender = await smsSender(stack);
      const c0 = cpuSeconds(stack);
      const v = await voiceBench(stack, sender, RUNS, log);
      const c1 = cpuSeconds(stack);
      log(
        `CPU seconds during the voice section: ${JSON.stringify(Object.fromEntries(Object.keys(c1).map((k) => [k, +(c1[k] - c0[k]).toFixed(1)])))}`,
      );
      process.stdout.write(`${voiceRows(v, fmt).join('\n')}\n`);
    } finally {
      await stack.stop();
      await finishRun();
    }
    return;
  }
  try {
    const idle = memory(stack);
    log(`stack up; idle RSS ${JSON.stringify(idle)}`);

    // 1. Accept rate and latency of POST /v1/sms, and 6. the floor under the same load.
    const accept: { rps: Series; p50: Series; p99: Series } = { rps: [], p50: [], p99: [] };
    const floorRes: { rps: Series; p50: Series; p99: Series } = { rps: [], p50: [], p99: [] };
    const cpuAccept: Record<string, number>[] = [];
    const cpuFloor: Record<string, number>[] = [];
    const floor = await startFloor(
      stack.databaseUrl,
      rabbitmqUrl(),
      `bench.${randomBytes(3).toString('hex')}`,
    );
    // Warm-up (JIT, connection pools, Postgres caches), not counted.
    {
      const s = await smsSender(stack);
      const body = { agent_id: s.agent_id, from_number: s.from_number, to: '+447700900123', message: 'Warm' };
      const w = await load(`${stack.gatewayUrl}/v1/sms`, s.account.api_key, body, { duration: 5 });
      await load(`${floor.url}/v1/sms`, s.account.api_key, body, { duration: 5 });
      await drained(stack, s.from_number, w.ok);
    }
    for (let i = 0; i < RUNS; i++) {
      const s = await smsSender(stack);
      const body = {
        agent_id: s.agent_id,
        from_number: s.from_number,
        to: '+447700900123',
        message: 'Bench hello',
      };
      const c0 = cpuSeconds(stack);
      const r = await load(`${stack.gatewayUrl}/v1/sms`, s.account.api_key, body, {});
      cpuAccept.push(cpuPer(c0, cpuSeconds(stack), r.ok));
      if (r.bad > 0) log(`accept run ${i + 1}: ${r.bad} non-2xx/errors`);
      accept.rps.push(r.rps);
      accept.p50.push(r.p50);
      accept.p99.push(r.p99);
      // The accepted backlog is delivered before the floor runs, so the floor
      // has the machine to itself, as the accept run had at its start.
      await drained(stack, s.from_number, r.ok);
      const f0 = cpuSeconds(stack);
      const f = await load(`${floor.url}/v1/sms`, s.account.api_key, body, {});
      cpuFloor.push(cpuPer(f0, cpuSeconds(stack), f.ok));
      floorRes.rps.push(f.rps);
      floorRes.p50.push(f.p50);
      floorRes.p99.push(f.p99);
      log(
        `run ${i + 1}: accept ${r.rps.toFixed(0)}/s p99 ${r.p99} ms; floor ${f.rps.toFixed(0)}/s p99 ${f.p99} ms`,
      );
    }
    await floor.close();
    results.accept = accept;
    results.floor = floorRes;
    results.cpuAccept = cpuAccept;
    results.cpuFloor = cpuFloor;

    // 2. End to end: N messages from POST to delivered.
    const e2e: { seconds: Series; rate: Series } = { seconds: [], rate: [] };
    for (let i = 0; i < RUNS; i++) {
      const s = await smsSender(stack);
      const body = {
        agent_id: s.agent_id,
        from_number: s.from_number,
        to: '+447700900124',
        message: 'E2E hello',
      };
      const t0 = Date.now();
      const r = await load(`${stack.gatewayUrl}/v1/sms`, s.account.api_key, body, { amount: E2E_N });
      await waitFor(
        'all delivered',
        async () => (await countDelivered(stack, s.from_number)) >= r.ok,
        600_000,
        200,
      );
      const seconds = (Date.now() - t0) / 1000;
      e2e.seconds.push(seconds);
      e2e.rate.push(r.ok / seconds);
      log(
        `e2e run ${i + 1}: ${r.ok} delivered in ${seconds.toFixed(1)} s (${(r.ok / seconds).toFixed(0)}/s)`,
      );
    }
    results.e2e = e2e;
    results.memoryAfterE2e = memory(stack);
    results.idle = idle;

    // 4. Inbound to reply, excluding the LLM (the stub answers at once). Measured before the
    // ingest run, whose thousands of callbacks would otherwise queue ahead of the inbound events.
    const s = await smsSender(stack);
    results.inbound = await inboundToReply(stack, s);

    // 7. Voice: engine overhead per turn at 1, 50 and 200 concurrent calls; RSS per call.
    results.voice = await voiceBench(stack, await smsSender(stack), RUNS, log);

    // 3. Webhook ingest: signed status callbacks into apps/webhooks.
    const ingest: { rps: Series; p99: Series } = { rps: [], p99: [] };
    const [msg] = await stack.sql(
      `SELECT twilio_sid FROM messaging.messages WHERE twilio_sid IS NOT NULL LIMIT 1`,
    );
    const url = `${stack.env.PUBLIC_WEBHOOK_BASE_URL}/twilio/sms-status`;
    const params = {
      MessageSid: msg.twilio_sid,
      SmsSid: msg.twilio_sid,
      MessageStatus: 'delivered',
      SmsStatus: 'delivered',
      AccountSid: s.twilio.account_sid,
      From: s.from_number,
      To: '+447700900125',
      ApiVersion: '2010-04-01',
    };
    const signature = twilio.getExpectedTwilioSignature(s.twilio.auth_token, url, params);
    for (let i = 0; i < RUNS; i++) {
      const result = await autocannon({
        url,
        method: 'POST',
        connections: CONNECTIONS,
        duration: DURATION_S,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params).toString(),
      });
      if (result.non2xx) log(`ingest run ${i + 1}: ${result.non2xx} non-2xx`);
      ingest.rps.push(result.requests.average);
      ingest.p99.push(result.latency.p99);
      log(`ingest run ${i + 1}: ${result.requests.average.toFixed(0)}/s p99 ${result.latency.p99} ms`);
    }
    results.ingest = ingest;
  } finally {
    await stack.stop();
  }
  try {
    // 8. Campaigns: their own stacks (pacing lifted, then paced).
    results.campaigns = await campaignBench(log);
  } finally {
    await finishRun();
  }
  writeReport(results);
}

async function inboundToReply(stack: Stack, s: SmsSender): Promise<{ p50: Series; p99: Series }> {
  const out: { p50: Series; p99: Series } = { p50: [], p99: [] };
  // Probe once: a build without agent replies reports n/a instead of failing the whole run.
  const probe = '+447700999999';
  await sandboxAdmin(stack, 'POST', '/inbound', { from: probe, to: s.from_number, body: 'probe' });
  const replies = await waitFor(
    'probe reply',
    async () =>
      (await sandboxAdmin<any[]>(stack, 'GET', `/messages?to=${encodeURIComponent(probe)}`)).length > 0,
    15_000,
    20,
  ).catch(() => false);
  if (!replies) {
    log('inbound: no agent reply reached the sandbox; figure 4 is n/a');
    return { p50: [NaN], p99: [NaN] };
  }
  for (let run = 0; run < RUNS; run++) {
    const times: number[] = [];
    for (let i = 0; i < INBOUND_N; i++) {
      const from = `+4477009${String(run * INBOUND_N + i).padStart(5, '0')}`;
      const t0 = performance.now();
      await sandboxAdmin(stack, 'POST', '/inbound', { from, to: s.from_number, body: `Question ${i}` });
      await waitFor(
        'reply',
        async () => {
          const sent = await sandboxAdmin<any[]>(stack, 'GET', `/messages?to=${encodeURIComponent(from)}`);
          return sent.length > 0;
        },
        30_000,
        2,
      );
      times.push(performance.now() - t0);
    }
    out.p50.push(pct(times, 50));
    out.p99.push(pct(times, 99));
    log(`inbound run ${run + 1}: p50 ${pct(times, 50).toFixed(1)} ms p99 ${pct(times, 99).toFixed(1)} ms`);
  }
  return out;
}

function fmt(xs: Series, digits = 0): string {
  const { min, median, max } = stats(xs);
  return `${median.toFixed(digits)} (${min.toFixed(digits)}–${max.toFixed(digits)})`;
}

function cpuRows(accept: Record<string, number>[], floor: Record<string, number>[]): string[] {
  const median = (runs: Record<string, number>[], k: string) => stats(runs.map((r) => r[k] ?? 0)).median;
  const keys = Object.keys(accept[0] ?? {});
  const rows = keys.map((k) => `| ${k} | ${median(accept, k).toFixed(2)} | ${median(floor, k).toFixed(2)} |`);
  const total = (runs: Record<string, number>[]) =>
    stats(runs.map((r) => Object.values(r).reduce((a, b) => a + b, 0))).median;
  rows.push(`| **total** | ${total(accept).toFixed(2)} | ${total(floor).toFixed(2)} |`);
  return rows;
}

function voiceTargets(v: VoiceResults): string[] {
  const p99At = (n: number) => v.levels.find((l) => l.concurrency === n);
  const line = (n: number, target: number) => {
    const l = p99At(n);
    return l
      ? `- voice overhead p99 at ${n} concurrent calls = ${stats(l.p99).median.toFixed(1)} ms (target under ${target} ms)`
      : null;
  };
  return [line(50, 20), line(200, 50)].filter((x): x is string => x !== null);
}

function rss(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function writeReport(r: Record<string, any>): void {
  const acceptMedian = stats(r.accept.rps).median;
  const floorMedian = stats(r.floor.rps).median;
  const e2eMedian = stats(r.e2e.rate).median;
  const lines = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores ` +
      `(${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}. ` +
      `Local Postgres and RabbitMQ, the Twilio sandbox and the stub LLM answering at once, loopback only, ` +
      `the load generator (autocannon, ${CONNECTIONS} connections) on the same machine. ` +
      `Each figure: median (min–max) over ${RUNS} runs.`,
    '',
    '| # | what | figure |',
    '| --- | --- | --- |',
    `| 1 | \`POST /v1/sms\` accepted per second (${DURATION_S} s runs) | ${fmt(r.accept.rps)} |`,
    `| 1 | \`POST /v1/sms\` latency p50 / p99 (ms) | ${fmt(r.accept.p50, 1)} / ${fmt(r.accept.p99, 1)} |`,
    `| 2 | end to end: ${E2E_N} messages from POST to \`delivered\` (s) | ${fmt(r.e2e.seconds, 1)} |`,
    `| 2 | end to end: messages per second | ${fmt(r.e2e.rate)} |`,
    `| 3 | signed status callbacks ingested per second | ${fmt(r.ingest.rps)} |`,
    `| 3 | status callback latency p99 (ms) | ${fmt(r.ingest.p99, 1)} |`,
    `| 4 | signed inbound SMS to reply at the sandbox, p50 / p99 (ms, ${INBOUND_N} per run) | ${fmt(r.inbound.p50, 1)} / ${fmt(r.inbound.p99, 1)} |`,
    `| 5 | RSS idle (MiB) | ${rss(r.idle)} |`,
    `| 5 | RSS after run 2 (MiB) | ${rss(r.memoryAfterE2e)} |`,
    `| 6 | floor: minimal durable accept (validate, insert, confirmed publish) per second | ${fmt(r.floor.rps)} |`,
    `| 6 | floor latency p50 / p99 (ms) | ${fmt(r.floor.p50, 1)} / ${fmt(r.floor.p99, 1)} |`,
    ...voiceRows(r.voice, fmt),
    ...campaignRows(r.campaigns),
    '',
    '## CPU per accepted request (ms, median over runs)',
    '',
    'Measured from /proc during the accept runs (figure 1) and the floor runs (figure 6); the',
    'accept window also carries whatever delivery work (dispatch, callbacks) ran meanwhile.',
    '',
    '| process | POST /v1/sms | floor |',
    '| --- | --- | --- |',
    ...cpuRows(r.cpuAccept, r.cpuFloor),
    '',
    '## Ratios against the targets',
    '',
    `- accept rate / floor = ${(acceptMedian / floorMedian).toFixed(2)} (target at least 0.6)`,
    `- end-to-end drain / accept rate = ${(e2eMedian / acceptMedian).toFixed(2)} (target at least 0.5)`,
    ...voiceTargets(r.voice),
    '',
  ];
  const out = path.join(ROOT, 'docs/benchmarks.md');
  const notesMarker = '<!-- notes -->';
  const previous = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  const notes = previous.includes(notesMarker)
    ? previous.slice(previous.indexOf(notesMarker))
    : notesMarker + '\n';
  fs.writeFileSync(out, `${lines.join('\n')}\n${notes}`);
  log(`wrote ${out}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
