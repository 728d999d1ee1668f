/**
 * Test helpers for voice: an imported number ready to take calls, calls
 * placed through the Twilio sandbox (`POST /__admin/calls`), signed voice
 * webhooks sent by hand, the ConversationRelay handshake, and the call records.
 */
import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';
import twilio from 'twilio';
import WebSocket from 'ws';
import { http } from '../harness/api';
import { rabbitmqUrl } from '../harness/infra';
import { Stack, waitFor } from '../harness/stack';
import { TestAccount, createAccount } from './accounts';
import { FAST_WEBHOOK_ENV, Receiver } from './customer-webhooks';
import { sandboxAdmin, ukMobile } from './sms';

export interface VoiceLine {
  account: TestAccount;
  agent: any;
  phone: string;
  twilio: { account_sid: string; auth_token: string };
}

/** An account (new, or given) with an agent (new, or given) and a freshly imported number. */
export async function voiceLine(
  stack: Stack,
  opts: {
    account?: TestAccount;
    agent?: any;
    agentBody?: Record<string, unknown>;
    number?: Record<string, unknown>;
  } = {},
): Promise<VoiceLine> {
  const account = opts.account ?? (await createAccount(stack));
  const tw = await sandboxAdmin(stack, 'POST', '/accounts', {});
  const phone = ukMobile(randomBytes(2).readUInt16BE(0).toString().slice(-4).padStart(4, '5'));
  await sandboxAdmin(stack, 'POST', `/accounts/${tw.account_sid}/numbers`, { phone_number: phone });
  let agent = opts.agent;
  if (!agent) {
    const res = await account.api.post('/v1/agents', {
      name: 'Receptionist',
      system_prompt: 'You are the receptionist.',
      ...opts.agentBody,
    });
    if (res.status !== 201) throw new Error(`agent: ${res.status} ${JSON.stringify(res.body)}`);
    agent = res.body;
  }
  const imported = await account.api.post('/v1/phone-numbers', {
    phone_number: phone,
    twilio_sid: tw.account_sid,
    twilio_token: tw.auth_token,
    agent_id: agent.id,
    ...opts.number,
  });
  if (imported.status !== 201) throw new Error(`import: ${imported.status} ${JSON.stringify(imported.body)}`);
  return { account, agent, phone, twilio: tw };
}

export type ScriptStep =
  | { say: string; barge_in_after_tokens?: number; partials?: boolean }
  | { dtmf: string }
  | { silence_ms: number }
  | { hangup: true };

export interface CallScript {
  steps: ScriptStep[];
  then?: 'hangup' | 'wait_for_end';
  turn_timeout_ms?: number;
  timeout_ms?: number;
}

/** Places an inbound call from `from` to our number and waits for the sandbox's report of it. */
export function placeCall(
  stack: Stack,
  from: string,
  to: string,
  script: CallScript,
  extra: Record<string, unknown> = {},
): Promise<any> {
  return sandboxAdmin(stack, 'POST', '/calls', { from, to, script, wait: true, ...extra });
}

/** The call record of a Twilio call, once `done` says it is as expected. */
export function callRecord(
  stack: Stack,
  callSid: string,
  done: (c: any) => boolean = () => true,
): Promise<any> {
  return waitFor(
    `call ${callSid}`,
    async () => {
      const [c] = await stack.sql(`SELECT * FROM voice.calls WHERE twilio_sid = $1`, [callSid]);
      return c && done(c) ? c : undefined;
    },
    20_000,
    100,
  );
}

export function callTurns(stack: Stack, callId: string): Promise<any[]> {
  return stack.sql(`SELECT role, text, interrupted FROM voice.call_turns WHERE call_id = $1 ORDER BY seq`, [
    callId,
  ]);
}

export const callSid = () => `CA${randomBytes(16).toString('hex')}`;

/** A form POST to a webhooks route, signed with `token` over the public URL (or forged). */
export async function postTwilio(
  stack: Stack,
  pathAndQuery: string,
  params: Record<string, string>,
  token: string | null,
): Promise<{ status: number; body: string }> {
  const url = `${stack.env.PUBLIC_WEBHOOK_BASE_URL}${pathAndQuery}`;
  const signature = token
    ? twilio.getExpectedTwilioSignature(token, url, params)
    : 'Zm9yZ2VkIHNpZ25hdHVyZQ==';
  const res = await http('POST', `${stack.webhooksUrl}${pathAndQuery}`, {
    raw: new URLSearchParams(params).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
  });
  return { status: res.status, body: typeof res.body === 'string' ? res.body : JSON.stringify(res.body) };
}

/** Opens the relay WebSocket as Twilio would (signed with `token`, or forged); the HTTP status of the handshake. */
export function relayHandshake(stack: Stack, pathAndQuery: string, token: string | null): Promise<number> {
  const publicUrl = `ws://127.0.0.1:${stack.ports.voice}${pathAndQuery}`;
  const signature = token
    ? twilio.getExpectedTwilioSignature(token, publicUrl, {})
    : 'Zm9yZ2VkIHNpZ25hdHVyZQ==';
  return new Promise((resolve) => {
    const ws = new WebSocket(publicUrl, {
      headers: { 'x-twilio-signature': signature },
      handshakeTimeout: 5000,
    });
    ws.on('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => resolve(0));
  });
}

/** Counts `call.ended.v1` per call as published on the stack's events exchange. */
export async function watchCallEnded(
  stack: Stack,
): Promise<{ counts: Map<string, number>; close: () => Promise<void> }> {
  const conn = await amqp.connect(rabbitmqUrl());
  const ch = await conn.createChannel();
  const q = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(q.queue, `${stack.prefix}.events`, 'call.ended.v1');
  const counts = new Map<string, number>();
  await ch.consume(
    q.queue,
    (msg) => {
      if (!msg) return;
      const id = (JSON.parse(msg.content.toString()) as { call_id: string }).call_id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    },
    { noAck: true },
  );
  return { counts, close: () => conn.close() };
}

export async function llmBehaviour(stack: Stack, behaviour: Record<string, unknown>): Promise<void> {
  await http('POST', `${stack.llmUrl}/__admin/behaviour`, { body: behaviour });
}

export async function llmReset(stack: Stack): Promise<void> {
  await http('POST', `${stack.llmUrl}/__admin/reset`);
}

export interface RelayClient {
  ws: WebSocket;
  /** Sends a frame as Twilio would. */
  send: (frame: Record<string, unknown>) => void;
  /** Resolves with the text of the next agent turn (tokens until `last:true`). */
  nextTurn: () => Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
}

/** A signed relay WebSocket driven by hand (what the sandbox's scripted caller does, frame by frame). */
export function relayClient(stack: Stack, callId: string, token: string): Promise<RelayClient> {
  const url = `ws://127.0.0.1:${stack.ports.voice}/twilio/voice/relay?call_id=${callId}`;
  const ws = new WebSocket(url, {
    headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature(token, url, {}) },
  });
  let text = '';
  let waiting: ((t: string) => void) | null = null;
  const done: string[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse((data as Buffer).toString('utf8')) as {
      type: string;
      token?: string;
      last?: boolean;
    };
    if (frame.type !== 'text') return;
    text += frame.token ?? '';
    if (frame.last) {
      if (waiting) waiting(text);
      else done.push(text);
      waiting = null;
      text = '';
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        send: (frame) => ws.send(JSON.stringify(frame)),
        nextTurn: () =>
          done.length > 0 ? Promise.resolve(done.shift()!) : new Promise<string>((r) => (waiting = r)),
        closed,
      }),
    );
  });
}

/**
 * A stack that wraps calls up at once (summaries on, a post-call SMS after a
 * call of 1 s, the wrap-up polled every 200 ms; `env` adds to it) and a
 * customer endpoint for its webhooks: the after-call tests' setup.
 */
export async function afterCallStack(
  env: Record<string, string> = {},
): Promise<{ stack: Stack; receiver: Receiver }> {
  const stack = await Stack.start({
    env: {
      ...FAST_WEBHOOK_ENV,
      VOICE_POST_CALL_MIN_S: '1',
      VOICE_CALL_SUMMARY: 'true',
      VOICE_WRAPUP_POLL_MS: '200',
      ...env,
    },
  });
  return { stack, receiver: await Receiver.start() };
}

/** The customer webhooks `receiver` got of `type`, with their parsed body (`json`). */
export function receivedEvents(receiver: Receiver, type: string) {
  return receiver.received
    .map((r) => ({ ...r, json: JSON.parse(r.body) }))
    .filter((r) => r.json.type === type);
}
