/**
 * The voice section of `npm run bench`: engine overhead per conversational
 * turn, and the voice service's memory per call, with the Twilio sandbox
 * placing the calls (signed webhook, TwiML, signed WebSocket handshake,
 * scripted caller) and the stub LLM streaming with a fixed first-token delay.
 *
 * Overhead of a turn = the sandbox's `first_token_ms` (from sending the
 * `prompt` frame to the first `text` token) minus the stub's own first-token
 * delay: what the engine adds between Twilio and the model and back.
 */
import { http } from '../test/harness/api';
import { pct, rssMb } from './measure';
import { Stack } from '../test/harness/stack';
import type { SmsSender } from '../test/factories/sms';

export const VOICE_CONCURRENCY = (process.env.BENCH_VOICE_CONCURRENCY ?? '1,50,200')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
/** The stub's delay before the first token of each reply (subtracted from the measured time). */
export const STUB_FIRST_TOKEN_MS = Number(process.env.BENCH_STUB_FIRST_TOKEN_MS ?? 50);
const STUB_TOKEN_MS = 5;
const SAYS = ['Hi, I would like to book a cleaning.', 'Tuesday morning if you can.', 'Thanks, bye.'];
/**
 * "Concurrent calls" are calls up at the same time, as on a real line: each
 * starts at a random moment of START_SPREAD_MS, listens to the greeting
 * (GREETING_MS, which Twilio speaks before the caller talks) and pauses a
 * random THINK_MS before each utterance, so prompts do not all arrive in the
 * same millisecond (which measures a burst queue, not a turn).
 */
const START_SPREAD_MS = Number(process.env.BENCH_VOICE_SPREAD_MS ?? 5000);
const GREETING_MS = 2500;
const THINK_MS = [1000, 4000] as const;
const think = () => THINK_MS[0] + Math.round(Math.random() * (THINK_MS[1] - THINK_MS[0]));

export interface VoiceLevel {
  concurrency: number;
  /** Median over runs of each run's percentile. */
  p50: number[];
  p99: number[];
  turns: number[];
  failedCalls: number[];
  /** Most calls up at the same moment in each run. */
  peakUp: number[];
}

export interface VoiceResults {
  levels: VoiceLevel[];
  rssIdleMb: number;
  rssPeakMb: number;
  peakConcurrency: number;
  rssPer100CallsMb: number;
}

let callerSeq = 0;
function caller(): string {
  callerSeq++;
  return `+4477005${String(callerSeq).padStart(5, '0')}`;
}

interface PlacedCall {
  ok: boolean;
  overheads: number[];
  /** When the call was answered and ended (ms since epoch), to count the calls up at once. */
  up: [number, number] | null;
}

/** One scripted inbound call, start to end; the overhead of each answered `say` turn. */
async function placeCall(stack: Stack, to: string, spreadMs = 0): Promise<PlacedCall> {
  if (spreadMs > 0) await new Promise((r) => setTimeout(r, Math.random() * spreadMs));
  const steps = [{ silence_ms: GREETING_MS }, ...SAYS.flatMap((say) => [{ silence_ms: think() }, { say }])];
  const res = await http<any>('POST', `${stack.sandboxUrl}/__admin/calls`, {
    body: {
      from: caller(),
      to,
      wait: true,
      script: { steps, then: 'hangup', timeout_ms: 120_000 },
    },
  });
  const turns: any[] = res.body?.relay?.turns ?? [];
  const answered = turns.filter((t) => t.after === 'say' && typeof t.first_token_ms === 'number');
  return {
    ok: res.status < 300 && answered.length === SAYS.length,
    overheads: answered.map((t) => t.first_token_ms - STUB_FIRST_TOKEN_MS),
    up:
      res.body?.answered_at && res.body?.end_time
        ? [Date.parse(res.body.answered_at), Date.parse(res.body.end_time)]
        : null,
  };
}

/** The most intervals overlapping at one moment. */
function mostAtOnce(spans: [number, number][]): number {
  const edges = spans.flatMap(([a, b]): [number, number][] => [
    [a, 1],
    [b, -1],
  ]);
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let up = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (up += d));
  return most;
}

export async function voiceBench(
  stack: Stack,
  sender: SmsSender,
  runs: number,
  log: (m: string) => void,
): Promise<VoiceResults> {
  await http('POST', `${stack.llmUrl}/__admin/behaviour`, {
    body: {
      reply: 'Sure, I can help with that. What time suits you best?',
      first_token_delay_ms: STUB_FIRST_TOKEN_MS,
      token_delay_ms: STUB_TOKEN_MS,
    },
  });
  const voicePid = stack.procs.get('voice')?.pid;
  // Warm-up: JIT, pools, the number resolver's cache.
  await Promise.all(Array.from({ length: 10 }, () => placeCall(stack, sender.from_number)));
  const rssIdleMb = rssMb(voicePid);
  let rssPeakMb = rssIdleMb;
  const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, rssMb(voicePid))), 50);
  const levels: VoiceLevel[] = [];
  try {
    for (const concurrency of VOICE_CONCURRENCY) {
      const level: VoiceLevel = { concurrency, p50: [], p99: [], turns: [], failedCalls: [], peakUp: [] };
      for (let run = 0; run < runs; run++) {
        const calls = await Promise.all(
          Array.from({ length: concurrency }, () =>
            placeCall(stack, sender.from_number, concurrency > 1 ? START_SPREAD_MS : 0),
          ),
        );
        const overheads = calls.flatMap((c) => c.overheads);
        level.p50.push(pct(overheads, 50));
        level.p99.push(pct(overheads, 99));
        level.turns.push(overheads.length);
        level.failedCalls.push(calls.filter((c) => !c.ok).length);
        level.peakUp.push(mostAtOnce(calls.flatMap((c) => (c.up ? [c.up] : []))));
        log(
          `voice ${concurrency} concurrent, run ${run + 1}: overhead p50 ${pct(overheads, 50).toFixed(1)} ms ` +
            `p99 ${pct(overheads, 99).toFixed(1)} ms over ${overheads.length} turns, ` +
            `at most ${level.peakUp[run]} calls up at once` +
            (level.failedCalls[run] ? `; ${level.failedCalls[run]} calls incomplete` : ''),
        );
      }
      levels.push(level);
    }
  } finally {
    clearInterval(sampler);
    await http('POST', `${stack.llmUrl}/__admin/reset`, {});
  }
  const peakConcurrency = Math.max(...VOICE_CONCURRENCY);
  return {
    levels,
    rssIdleMb,
    rssPeakMb,
    peakConcurrency,
    rssPer100CallsMb: ((rssPeakMb - rssIdleMb) * 100) / peakConcurrency,
  };
}

/** The voice rows of docs/benchmarks.md. */
export function voiceRows(v: VoiceResults, fmt: (xs: number[], digits?: number) => string): string[] {
  return [
    ...v.levels.map(
      (l) =>
        `| 7 | voice: engine overhead per turn at ${l.concurrency} concurrent call${l.concurrency > 1 ? 's' : ''} (at most ${Math.min(...l.peakUp)}–${Math.max(...l.peakUp)} up at once), p50 / p99 (ms; ${l.turns[0]} turns per run${l.failedCalls.some((n) => n > 0) ? `, incomplete calls ${l.failedCalls.join('/')}` : ''}) | ${fmt(l.p50, 1)} / ${fmt(l.p99, 1)} |`,
    ),
    `| 7 | voice service RSS idle → peak at ${v.peakConcurrency} concurrent calls (MiB) | ${v.rssIdleMb.toFixed(0)} → ${v.rssPeakMb.toFixed(0)} |`,
    `| 7 | voice service RSS per 100 concurrent calls (MiB) | ${v.rssPer100CallsMb.toFixed(1)} |`,
  ];
}
