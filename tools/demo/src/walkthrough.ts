/**
 * The product, step by step, against a running system (`npm start`): an
 * account and key, an agent, a Twilio (sandbox) account with a number, the
 * import with a business profile, an SMS to `delivered`, the recipient's
 * reply and the agent's answer, a phone call from the same customer that the
 * agent answers knowing their texts, the opt-out, and the delete that gives
 * the number its old webhooks back.
 */
import { randomBytes, randomInt } from 'node:crypto';
import * as path from 'node:path';
import { abbreviateApiKey, curlCommand, hideKeySecrets } from './render';
import { Runner, Secret } from './runner';

export interface DemoConfig {
  gatewayUrl: string;
  sandboxUrl: string;
  /** The stub LLM's admin API, to show what the agent was told; skipped when it does not answer. */
  llmStubUrl: string;
  /** Repository root (the CLI is `dist/apps/gateway/src/cli.js` under it). */
  root: string;
  /** Environment for the CLI (DATABASE_URL and the rest of the configuration). */
  env: NodeJS.ProcessEnv;
}

/** Recipient endings the sandbox treats specially (failures, refusals); the demo avoids them. */
const SANDBOX_RULES = new Set(['0003', '0005', '0006', '0007', '0008', '0404', '1610', '1211', '1611']);

/** A random UK mobile number, `+44` + `prefix` + digits (12 digits after the +), avoiding the sandbox's rules. */
export function randomUkMobile(prefix: '74' | '75'): string {
  for (;;) {
    const digits = String(randomInt(0, 100_000_000)).padStart(8, '0');
    if (!SANDBOX_RULES.has(digits.slice(-4))) return `+44${prefix}${digits}`;
  }
}

const OLD_WEBHOOKS = {
  sms_url: 'https://old-system.example.com/sms',
  voice_url: 'https://old-system.example.com/voice',
};

const AGENT_PROMPT =
  'You are the receptionist of a dental practice. Answer briefly and kindly, and offer to book an appointment.';
const BUSINESS_PROFILE = 'Acme Dental, 12 High Street, London. Open Monday to Friday 9:00-17:00.';

const enc = encodeURIComponent;

export async function walkthrough(r: Runner, cfg: DemoConfig): Promise<void> {
  const gw = cfg.gatewayUrl;
  const sb = cfg.sandboxUrl;
  const run = randomBytes(3).toString('hex');
  const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');

  // ── the system ──────────────────────────────────────────────────────────
  r.heading('The system is up', 'The gateway asks every service for its readiness over RabbitMQ.');
  const health = await r.call({ method: 'GET', url: `${gw}/health` }, 200);
  r.check(health?.status === 'ok', `/health says ${JSON.stringify(health)}, expected status "ok"`);
  r.ok('gateway, numbers, messaging, webhooks and voice are up');

  // ── account and key ─────────────────────────────────────────────────────
  r.heading(
    'Create an account and an API key',
    'The CLI talks to the database directly; the secret is shown once and only its hash is stored.',
  );
  const accountName = `Acme Dental (demo ${stamp} ${run})`;
  const out = await r.command(
    ['npm', 'run', 'cli', '--', 'accounts:create', '--name', accountName],
    [
      process.execPath,
      path.join(cfg.root, 'dist/apps/gateway/src/cli.js'),
      'accounts:create',
      '--name',
      accountName,
    ],
    cfg.env,
    cfg.root,
  );
  let issued: { account_id?: string; key_id?: string; api_key?: string };
  try {
    issued = JSON.parse(out.trim().split('\n').pop() ?? '');
  } catch {
    issued = {};
  }
  r.check(
    typeof issued.api_key === 'string' && /^key_[0-9a-f]+:sk_[A-Za-z0-9_-]+$/.test(issued.api_key),
    `the CLI did not print an account and key: ${hideKeySecrets(out.trim()).slice(0, 200)}`,
  );
  const apiKey = new Secret('API_KEY', issued.api_key);
  r.hide(issued.api_key.split(':')[1]);
  r.show(issued);
  r.print(`$ API_KEY='${abbreviateApiKey(issued.api_key)}'   # the full key the CLI printed`);
  r.ok(`account ${issued.account_id} with key ${issued.key_id}`);

  // ── agent ───────────────────────────────────────────────────────────────
  r.heading('Create an agent with a prompt', 'One prompt and personality; numbers are attached to it.');
  const agent = await r.call(
    {
      method: 'POST',
      url: `${gw}/v1/agents`,
      bearer: apiKey,
      body: { name: 'Receptionist', system_prompt: AGENT_PROMPT },
    },
    201,
  );
  r.check(
    typeof agent?.id === 'string' && agent.system_prompt === AGENT_PROMPT,
    'the agent was not returned with its id and prompt',
  );
  r.ok(`agent ${agent.id}`);

  // ── Twilio (sandbox) ────────────────────────────────────────────────────
  r.heading(
    "Create the customer's Twilio account (sandbox)",
    'Customers bring their own Twilio account; here the Twilio sandbox makes a fresh one.',
  );
  const twilio = await r.call(
    { method: 'POST', url: `${sb}/__admin/accounts`, body: { friendly_name: accountName } },
    201,
  );
  r.check(
    /^AC[0-9a-f]{32}$/.test(twilio?.account_sid ?? '') && typeof twilio.auth_token === 'string',
    'the sandbox did not answer with an account SID and token',
  );
  const twilioToken = new Secret('TWILIO_TOKEN', twilio.auth_token);
  r.hide(twilio.auth_token);
  r.print(`$ TWILIO_SID=${twilio.account_sid} TWILIO_TOKEN='****'   # the auth_token above`);
  r.ok(`Twilio account ${twilio.account_sid}`);

  r.heading(
    'Give it a phone number that another system uses today',
    'Its webhooks point at the old system; importing will rewire them, deleting can restore them.',
  );
  const phone = randomUkMobile('74');
  const number = await r.call(
    {
      method: 'POST',
      url: `${sb}/__admin/accounts/${twilio.account_sid}/numbers`,
      body: { phone_number: phone, ...OLD_WEBHOOKS },
    },
    201,
    {
      view: (b) => pick(b, ['sid', 'phone_number', 'account_sid', 'sms_url', 'voice_url', 'status_callback']),
    },
  );
  r.check(number?.sms_url === OLD_WEBHOOKS.sms_url, 'the sandbox number does not have the old sms_url');
  r.ok(`${phone} (${number.sid})`);

  // ── import ──────────────────────────────────────────────────────────────
  r.heading(
    'Import the number with a business profile',
    "Nixflex checks the credentials with Twilio, stores them encrypted and rewires the number's webhooks.",
  );
  const imported = await r.call(
    {
      method: 'POST',
      url: `${gw}/v1/phone-numbers`,
      bearer: apiKey,
      body: {
        phone_number: phone,
        twilio_sid: twilio.account_sid,
        twilio_token: twilioToken,
        agent_id: agent.id,
        custom_prompt: BUSINESS_PROFILE,
      },
    },
    201,
  );
  r.check(
    imported?.phone_number === phone && imported.agent_id === agent.id,
    'the import answer is not this number on this agent',
  );
  r.check(imported.custom_prompt === BUSINESS_PROFILE, 'the import answer lacks the business profile');
  r.check(
    !JSON.stringify(imported).includes(twilio.auth_token),
    'the import answer contains the Twilio token',
  );
  r.ok(`${phone} belongs to agent ${agent.id}; the answer holds no Twilio token`);

  r.heading('Twilio now calls Nixflex for this number', 'What the sandbox (Twilio) has for it now.');
  const rewired = await r.call({ method: 'GET', url: `${sb}/__admin/numbers/${enc(phone)}` }, 200, {
    view: (b) => pick(b, ['phone_number', 'sms_url', 'sms_method', 'voice_url', 'status_callback']),
  });
  r.check(
    typeof rewired?.sms_url === 'string' && rewired.sms_url.endsWith('/twilio/sms'),
    `sms_url is ${JSON.stringify(rewired?.sms_url)}, expected the Nixflex webhooks service (…/twilio/sms)`,
  );
  r.ok(`SMS to ${phone} now go to ${rewired.sms_url}`);

  // ── send and track ──────────────────────────────────────────────────────
  const customer = randomUkMobile('75');
  r.heading('Send an SMS', `From the imported number to a customer, ${customer}.`);
  const accepted = await r.call(
    {
      method: 'POST',
      url: `${gw}/v1/sms`,
      bearer: apiKey,
      body: {
        agent_id: agent.id,
        from_number: phone,
        to: customer,
        message: 'Hi, this is Acme Dental: your check-up is due. Reply to book a time.',
      },
    },
    202,
  );
  r.check(
    accepted?.status === 'queued' && typeof accepted.message_id === 'string',
    'the send was not accepted as queued',
  );
  r.ok(`${accepted.message_id} queued (${accepted.segments} segment, ${accepted.encoding})`);

  r.heading('Watch it reach delivered', "Twilio's status callbacks arrive at the webhooks service.");
  const delivered = await r.poll(
    { method: 'GET', url: `${gw}/v1/sms/${accepted.message_id}`, bearer: apiKey },
    'status is "delivered"',
    (b) => b.status === 'delivered' || ['undelivered', 'failed', 'canceled'].includes(b.status),
    {
      view: (b) =>
        pick(b, ['message_id', 'twilio_sid', 'status', 'error_code', 'status_history', 'estimated_cost']),
    },
  );
  r.check(
    delivered.status === 'delivered',
    `the message ended ${delivered.status} (${delivered.error_code}), expected delivered`,
  );
  r.ok(`${accepted.message_id} delivered (Twilio ${delivered.twilio_sid})`);

  // ── inbound and the agent's answer ──────────────────────────────────────
  const question = 'Can I come in on Friday afternoon?';
  r.heading(
    'The customer replies',
    "The sandbox sends Twilio's signed inbound-SMS webhook to Nixflex, as Twilio would.",
  );
  const inbound = await r.call(
    { method: 'POST', url: `${sb}/__admin/inbound`, body: { from: customer, to: phone, body: question } },
    200,
  );
  const delivery = inbound?.deliveries?.[0];
  r.check(
    delivery?.status === 200,
    `Nixflex answered the inbound webhook with ${JSON.stringify(delivery)}, expected HTTP 200`,
  );
  r.ok(`Nixflex accepted ${inbound.message_sid} (signature checked) and answered with empty TwiML`);

  r.heading("The agent's answer", 'The agent (an LLM) answers with its prompt and the business profile.');
  const replies = await r.poll(
    { method: 'GET', url: `${gw}/v1/sms?to=${enc(customer)}`, bearer: apiKey },
    'the agent\'s reply is listed (a message with "in_reply_to")',
    (b) => (b.data ?? []).some((m: any) => m.in_reply_to),
    {
      view: (b) => ({
        data: b.data
          .filter((m: any) => m.in_reply_to)
          .map((m: any) =>
            pick(m, ['message_id', 'direction', 'from_number', 'to', 'message', 'status', 'in_reply_to']),
          ),
      }),
    },
  );
  const reply = replies.data.find((m: any) => m.in_reply_to);
  r.check(
    typeof reply.message === 'string' && reply.message.trim().length > 0,
    'the agent reply has no text',
  );
  r.check(reply.from_number === phone, 'the agent reply was not sent from the imported number');
  r.ok(`the agent answered: "${reply.message}"`);

  await showPrompt(r, cfg, question);

  r.heading('The thread', 'From the first message on: our SMS, the customer, the agent.');
  const thread = await r.poll(
    { method: 'GET', url: `${gw}/v1/sms/${accepted.message_id}`, bearer: apiKey },
    'the thread holds all three messages',
    (b) => (b.conversation ?? []).length >= 3,
    {
      view: (b) => ({
        conversation: b.conversation.map((m: any) =>
          pick(m, ['message_id', 'direction', 'from_number', 'to', 'message', 'status', 'in_reply_to']),
        ),
      }),
      maxLines: 60,
    },
  );
  const directions = thread.conversation.map((m: any) => m.direction).join(',');
  r.check(
    directions.startsWith('outbound,inbound,outbound'),
    `the thread is ${directions}, expected outbound,inbound,outbound`,
  );
  r.ok('outbound → inbound → agent reply');

  // ── a call ──────────────────────────────────────────────────────────────
  await phoneCall(r, { gw, sb, apiKey, phone, customer });

  // ── opt-out ─────────────────────────────────────────────────────────────
  r.heading('The customer texts STOP', 'A keyword: recorded as an opt-out, never sent to the LLM.');
  const stop = await r.call(
    { method: 'POST', url: `${sb}/__admin/inbound`, body: { from: customer, to: phone, body: 'STOP' } },
    200,
  );
  r.check(
    stop?.deliveries?.[0]?.status === 200,
    `Nixflex answered the STOP webhook with ${JSON.stringify(stop?.deliveries?.[0])}, expected HTTP 200`,
  );
  r.ok('STOP received');

  r.heading('The opt-out is listed');
  await r.poll(
    { method: 'GET', url: `${gw}/v1/opt-outs?phone_number=${enc(phone)}`, bearer: apiKey },
    `${customer} is listed`,
    (b) => (b.data ?? []).some((o: any) => o.recipient === customer),
  );
  r.ok(`${customer} opted out of ${phone}`);

  r.heading('A send to them is refused', 'Until they text START again.');
  const refused = await r.call(
    {
      method: 'POST',
      url: `${gw}/v1/sms`,
      bearer: apiKey,
      body: { agent_id: agent.id, from_number: phone, to: customer, message: 'Are you still there?' },
    },
    422,
  );
  r.check(
    refused?.error?.code === 'recipient_opted_out',
    `expected error code recipient_opted_out, got ${JSON.stringify(refused?.error?.code)}`,
  );
  r.ok('422 recipient_opted_out');

  // ── delete ──────────────────────────────────────────────────────────────
  r.heading(
    'Delete the number and restore its webhooks',
    'The number stays in the Twilio account; the old system gets it back.',
  );
  const deleted = await r.call(
    { method: 'DELETE', url: `${gw}/v1/phone-numbers/${enc(phone)}?restore_webhooks=true`, bearer: apiKey },
    200,
  );
  r.check(
    deleted?.deleted === true && deleted.webhooks === 'restored',
    `expected {"deleted":true,"webhooks":"restored"}, got ${JSON.stringify(deleted)}`,
  );
  r.ok(`${phone} deleted`);

  r.heading('Twilio has the old webhooks again');
  const restored = await r.call({ method: 'GET', url: `${sb}/__admin/numbers/${enc(phone)}` }, 200, {
    view: (b) => pick(b, ['phone_number', 'sms_url', 'voice_url', 'account_sid']),
  });
  r.check(
    restored?.sms_url === OLD_WEBHOOKS.sms_url && restored.voice_url === OLD_WEBHOOKS.voice_url,
    `the number's webhooks are sms_url=${JSON.stringify(restored?.sms_url)} voice_url=${JSON.stringify(
      restored?.voice_url,
    )}, expected the old system's`,
  );
  r.ok(`SMS to ${phone} go to ${restored.sms_url} again`);
}

/**
 * What the agent was told, from the stub LLM's request log: the agent prompt
 * with the number's business profile layered over it, then the thread. Skipped
 * (said so) when no stub LLM answers, e.g. against a real LLM.
 */
async function showPrompt(r: Runner, cfg: DemoConfig, question: string): Promise<void> {
  const req = { method: 'GET' as const, url: `${cfg.llmStubUrl}/__admin/requests` };
  let log: { status: number; body: any };
  try {
    log = await r.send(req);
  } catch {
    return;
  }
  if (log.status !== 200 || !Array.isArray(log.body)) return;
  const entry = [...log.body]
    .reverse()
    .find((e: any) => JSON.stringify(e?.body?.messages ?? []).includes(question));
  if (!entry) return;
  r.heading(
    'What the agent was told',
    "The stub LLM's request log: agent prompt + business profile + thread.",
  );
  r.print(curlCommand(req));
  r.print(`HTTP ${log.status}`);
  r.note("the request carrying the customer's question:");
  const messages = entry.body.messages as { role: string; content: string }[];
  r.show({ model: entry.body.model, messages }, 60);
  const system = messages[0]?.content ?? '';
  r.check(
    system.includes(AGENT_PROMPT) && system.includes(BUSINESS_PROFILE),
    "the system prompt lacks the agent's prompt or the number's business profile",
  );
  r.ok("the system prompt is the agent's prompt with the business profile over it");
}

/**
 * The customer calls the number: the sandbox does what Twilio does (signed
 * webhook, TwiML, the ConversationRelay WebSocket) and plays a caller who says
 * one thing and hangs up; the call is then on record with its transcript.
 */
async function phoneCall(
  r: Runner,
  c: { gw: string; sb: string; apiKey: Secret; phone: string; customer: string },
): Promise<void> {
  r.heading(
    'The customer calls the number',
    "The sandbox plays Twilio: the voice webhook, the TwiML's ConversationRelay, and a caller who speaks once.",
  );
  const said = 'Hi, can I book a cleaning for Tuesday morning?';
  const placed = await r.call(
    {
      method: 'POST',
      url: `${c.sb}/__admin/calls`,
      body: { from: c.customer, to: c.phone, wait: true, script: { steps: [{ say: said }], then: 'hangup' } },
    },
    201,
    {
      view: (b) => ({
        call_sid: b.call_sid,
        greeting: b.relay?.attributes?.welcomeGreeting,
        voice: b.relay?.attributes?.voice,
        turns: (b.relay?.turns ?? []).map((t: any) => ({
          after: t.after,
          caller: t.prompt,
          agent: t.text,
          first_token_ms: t.first_token_ms,
        })),
      }),
    },
  );
  const answered = (placed?.relay?.turns ?? []).find((t: any) => t.after === 'say');
  r.check(placed?.relay?.handshake_status === 101, 'the ConversationRelay WebSocket was not opened');
  r.check(answered?.text?.trim(), 'the agent said nothing after the caller spoke');
  r.ok(`the agent greeted the caller and answered, streamed token by token: "${answered.text.trim()}"`);

  r.heading(
    'The call is on record',
    "Status from Twilio's callbacks, the transcript from the relay session.",
  );
  const list = await r.poll(
    { method: 'GET', url: `${c.gw}/v1/calls?phone_number=${enc(c.phone)}`, bearer: c.apiKey },
    'the call is completed',
    (b) => (b.data ?? []).some((x: any) => x.status === 'completed'),
    {
      view: (b) => ({
        data: b.data.map((x: any) =>
          pick(x, ['call_id', 'direction', 'from_number', 'status', 'duration_s', 'end_reason']),
        ),
      }),
    },
  );
  const call = list.data.find((x: any) => x.status === 'completed');
  const detail = await r.call(
    { method: 'GET', url: `${c.gw}/v1/calls/${call.call_id}`, bearer: c.apiKey },
    200,
    {
      view: (b) => ({ call_id: b.call_id, status: b.status, turns: b.turns }),
    },
  );
  r.check(
    (detail.turns ?? []).some((t: any) => t.role === 'caller' && t.text === said),
    'the transcript does not have what the caller said',
  );
  r.ok(`${detail.turns.length} turns on record; the agent's prompt for the call held the customer's texts`);
}

function pick(obj: any, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (obj && k in obj) out[k] = obj[k];
  return out;
}
