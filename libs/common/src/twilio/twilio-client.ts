import * as http from 'node:http';
import * as https from 'node:https';
import twilio from 'twilio';
import type SdkRequestClient from 'twilio/lib/base/RequestClient';
import { timeTwilio, twilioOperation } from '../metrics/instruments';

/**
 * Twilio SDK client factory.
 *
 * Every customer brings their own Twilio account, so the services create one
 * SDK client per (AccountSid, AuthToken). The client built here:
 *  - sends every request to `apiBaseUrl` instead of https://*.twilio.com when
 *    given (the Twilio sandbox in dev/test/bench; real Twilio is unreachable);
 *  - reuses keep-alive sockets from agents shared by all clients;
 *  - has a bounded per-request timeout;
 *  - never retries inside the SDK (callers own retry/reconcile decisions, e.g.
 *    a message create that timed out must be reconciled, not blindly resent).
 */

export interface TwilioClientOptions {
  /** Per-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
}

export type TwilioClient = twilio.Twilio;

export const DEFAULT_TWILIO_TIMEOUT_MS = 10_000;

const SHARED_AGENT_OPTIONS = { keepAlive: true, keepAliveMsecs: 1_000, maxSockets: 128, maxFreeSockets: 32 };
let sharedHttpAgent: http.Agent | undefined;
let sharedHttpsAgent: https.Agent | undefined;

function httpAgent(): http.Agent {
  sharedHttpAgent ??= new http.Agent(SHARED_AGENT_OPTIONS);
  return sharedHttpAgent;
}

function httpsAgent(): https.Agent {
  sharedHttpsAgent ??= new https.Agent(SHARED_AGENT_OPTIONS);
  return sharedHttpsAgent;
}

/**
 * Rewrites a Twilio URL (https://api.twilio.com/2010-04-01/...) so that it
 * points at `apiBaseUrl`, keeping path and query. A path prefix in
 * `apiBaseUrl` (http://host:4010/twilio) is kept in front of the Twilio path.
 * URLs of hosts other than *.twilio.com are returned unchanged.
 */
export function rewriteTwilioUrl(uri: string, apiBaseUrl: string): string {
  const target = new URL(uri);
  const host = target.hostname.toLowerCase();
  if (host !== 'twilio.com' && !host.endsWith('.twilio.com')) return uri;
  const base = new URL(apiBaseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${target.pathname}${target.search}`;
}

class RedirectingRequestClient extends twilio.RequestClient {
  constructor(
    private readonly apiBaseUrl: string | undefined,
    timeoutMs: number,
  ) {
    super({ timeout: timeoutMs, keepAlive: true, autoRetry: false });
    // The SDK builds its own https agent per client; share keep-alive agents
    // instead so that thousands of per-account clients do not each hold sockets.
    this.axios.defaults.httpAgent = httpAgent();
    this.axios.defaults.httpsAgent = httpsAgent();
  }

  override request<TData>(opts: SdkRequestClient.RequestOptions<TData>) {
    const uri = this.apiBaseUrl ? rewriteTwilioUrl(opts.uri, this.apiBaseUrl) : opts.uri;
    return timeTwilio(twilioOperation(opts.method, opts.uri), super.request<TData>({ ...opts, uri }));
  }
}

export function createTwilioClient(
  accountSid: string,
  authToken: string,
  apiBaseUrl?: string,
  options: TwilioClientOptions = {},
): TwilioClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TWILIO_TIMEOUT_MS;
  const base = apiBaseUrl && apiBaseUrl.trim() !== '' ? apiBaseUrl.trim() : undefined;
  const httpClient = new RedirectingRequestClient(base, timeoutMs);
  return twilio(accountSid, authToken, { httpClient, autoRetry: false });
}
