import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric of a Nixflex process, defined here and nowhere
 * else, in one registry per process (with Node's default process metrics).
 * Each series carries a `service` label (`initMetrics`). docs/operations.md
 * "Metrics" lists them and docs/grafana-dashboard.json is built on them (a
 * unit test checks that every metric the dashboard queries is defined here).
 *
 * Labels are bounded sets only: routes as their pattern, command and event
 * keys, queue kinds, statuses and error codes - never phone numbers, ids or
 * raw URLs.
 */
export const registry = new Registry();

/** Seconds: from a fast database round trip to an LLM answer that took its whole timeout. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const on = { registers: [registry] };

export const httpRequestDuration = new Histogram({
  name: 'nixflex_http_request_duration_seconds',
  help: 'HTTP requests served, by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  ...on,
});

export const rpcDuration = new Histogram({
  name: 'nixflex_rpc_duration_seconds',
  help: 'Commands sent over RabbitMQ until their reply, by command and outcome (ok or the error code)',
  labelNames: ['command', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  ...on,
});

export const brokerPublished = new Counter({
  name: 'nixflex_broker_published_total',
  help: 'Messages published with a publisher confirm, by exchange, routing key and outcome (ok, error)',
  labelNames: ['exchange', 'key', 'outcome'] as const,
  ...on,
});

export const brokerConsumed = new Counter({
  name: 'nixflex_broker_consumed_total',
  help: 'Messages consumed, by queue and what became of them (ack, retry, dead_letter, requeue)',
  labelNames: ['queue', 'outcome'] as const,
  ...on,
});

export const brokerRetries = new Counter({
  name: 'nixflex_broker_retries_total',
  help: 'Events put on the retry queue after their handler failed, by queue',
  labelNames: ['queue'] as const,
  ...on,
});

export const brokerDeadLetters = new Counter({
  name: 'nixflex_broker_dead_letters_total',
  help: 'Messages dead-lettered, by queue and reason (no_handler, bad_json, refused, exhausted)',
  labelNames: ['queue', 'reason'] as const,
  ...on,
});

/** What reports the age of the oldest unpublished outbox row (seconds; 0 when empty). */
const outboxLagProbes = new Set<() => Promise<number>>();

export const outboxLag = new Gauge({
  name: 'nixflex_outbox_lag_seconds',
  help: 'Age of the oldest outbox event not yet published (0 when the outbox is empty)',
  ...on,
  async collect() {
    let lag = 0;
    for (const probe of outboxLagProbes) lag = Math.max(lag, await probe().catch(() => 0));
    this.set(lag);
  },
});

export const outboxPublished = new Counter({
  name: 'nixflex_outbox_published_total',
  help: 'Outbox events published (broker-confirmed and deleted from the outbox)',
  ...on,
});

export const smsStatus = new Counter({
  name: 'nixflex_sms_status_total',
  help: "SMS status changes recorded, by new status and Twilio error code ('' when none)",
  labelNames: ['status', 'error_code'] as const,
  ...on,
});

export const twilioRequestDuration = new Histogram({
  name: 'nixflex_twilio_request_duration_seconds',
  help: "Twilio REST API requests, by operation (method and path pattern) and HTTP status ('error' when none came)",
  labelNames: ['operation', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  ...on,
});

export const llmRequestDuration = new Histogram({
  name: 'nixflex_llm_request_duration_seconds',
  help: 'LLM chat completions until the whole answer, by purpose, mode (complete, stream) and outcome (ok, error)',
  labelNames: ['purpose', 'mode', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  ...on,
});

export const llmFirstToken = new Histogram({
  name: 'nixflex_llm_first_token_seconds',
  help: 'Streamed LLM completions until their first chunk, by purpose',
  labelNames: ['purpose'] as const,
  buckets: LATENCY_BUCKETS,
  ...on,
});

export const llmTokens = new Counter({
  name: 'nixflex_llm_tokens_total',
  help: 'Tokens the LLM reported using (when its answer has usage), by purpose and kind (prompt, completion)',
  labelNames: ['purpose', 'kind'] as const,
  ...on,
});

export const llmErrors = new Counter({
  name: 'nixflex_llm_errors_total',
  help: "Failed LLM completions, by purpose and reason (the HTTP status, 'connection' or 'aborted')",
  labelNames: ['purpose', 'reason'] as const,
  ...on,
});

export const smsReplyGuarded = new Counter({
  name: 'nixflex_sms_reply_guarded_total',
  help: 'Inbound SMS left unanswered by an LLM guard, by code (reply_cap_reached, loop_detected)',
  labelNames: ['code'] as const,
  ...on,
});

export const twilioFloodDropped = new Counter({
  name: 'nixflex_twilio_flood_dropped_total',
  help: "Signed inbound Twilio webhooks dropped over one caller's flood limit, by kind (sms, calls)",
  labelNames: ['kind'] as const,
  ...on,
});

/** What reports this process's live calls. */
let activeCallsProbe: (() => number) | undefined;

export const voiceActiveCalls = new Gauge({
  name: 'nixflex_voice_active_calls',
  help: 'Calls with a live ConversationRelay session in this process',
  ...on,
  collect() {
    this.set(activeCallsProbe?.() ?? 0);
  },
});

export const voiceTurnFirstToken = new Histogram({
  name: 'nixflex_voice_turn_first_token_seconds',
  help: "A voice turn from the caller's words to the agent's first token",
  buckets: LATENCY_BUCKETS,
  ...on,
});

let initialised = false;

/** Once per process, at boot: the `service` label on every series, and Node's process metrics. */
export function initMetrics(service: string): void {
  if (initialised) return;
  initialised = true;
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
}

/** The outbox relay reports its lag here (one probe per outbox; the gauge shows the largest). */
export function watchOutboxLag(probe: () => Promise<number>): void {
  outboxLagProbes.add(probe);
}

/** The voice service reports its live calls here. */
export function watchActiveCalls(probe: () => number): void {
  activeCallsProbe = probe;
}

/** Seconds since `start` (a `performance.now()`). */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}
