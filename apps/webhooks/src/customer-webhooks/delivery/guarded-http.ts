import * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { AddressCategory, checkCustomerWebhookUrl, classifyAddress } from './address-policy';

export interface PostOptions {
  timeoutMs: number;
  allowLoopback: boolean;
  httpsOnly: boolean;
  /** DNS resolution; injectable so tests can make any hostname resolve anywhere. */
  resolve?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

/**
 * `error` is what the tenant sees (the attempt's `error`, the delivery's
 * `last_error`): our own generic wording, never a resolved address or a raw
 * socket message. `detail` is the full story, for the service log only.
 */
export type PostOutcome =
  | { kind: 'response'; status: number; location?: string; durationMs: number }
  | {
      kind: 'refused';
      reason: 'address_not_allowed' | 'url_not_allowed';
      error: string;
      detail: string;
      durationMs: number;
    }
  | { kind: 'error'; error: string; detail: string; durationMs: number };

/** The tenant-visible text of a refused address; the address and its category go to the log only. */
export const ADDRESS_NOT_ALLOWED_TEXT = 'the URL resolves to a private or reserved address';

/** Our wording of a failed connection, by its error code; the raw message goes to the log only. */
export function connectionErrorText(code: string | undefined): string {
  switch (code ?? '') {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name did not resolve';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return 'connection timed out';
    default:
      if (code && /^ERR_TLS_|^ERR_SSL_|^EPROTO|CERT|SELF_SIGNED|UNABLE_TO_/.test(code)) {
        return 'TLS handshake failed';
      }
      return 'connection failed';
  }
}

/** Raised inside the lookup so the request fails before any socket connects. */
export class AddressNotAllowedError extends Error {
  constructor(
    readonly address: string,
    readonly category: AddressCategory,
  ) {
    super(`address ${address} is not allowed (${category})`);
    this.name = 'AddressNotAllowedError';
  }
}

const MAX_RESPONSE_BYTES = 64 * 1024;

function systemResolve(hostname: string): Promise<{ address: string; family: number }[]> {
  return dns.promises.lookup(hostname, { all: true, verbatim: true });
}

/**
 * A `lookup` for http(s).request that resolves the host and refuses the
 * connection unless every resolved address is allowed. Because the check is
 * on the addresses the socket then connects to, a DNS answer that changes
 * between a check and the connect (rebinding) cannot slip through.
 */
export function guardedLookup(
  allowLoopback: boolean,
  resolve: NonNullable<PostOptions['resolve']> = systemResolve,
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
          return;
        }
        for (const a of addresses) {
          const verdict = classifyAddress(a.address, allowLoopback);
          if (!verdict.allowed) {
            callback(new AddressNotAllowedError(a.address, verdict.category), '', 4);
            return;
          }
        }
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
        if (options.all) {
          (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, usable);
        } else if (usable[0]) {
          callback(null, usable[0].address, usable[0].family);
        } else {
          callback(
            Object.assign(new Error(`no IPv${wanted} address for ${hostname}`), { code: 'ENOTFOUND' }),
            '',
            4,
          );
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 4),
    );
  };
}

/**
 * POSTs a webhook: the URL policy (scheme), the address policy at connect
 * time, a total deadline, no redirects (a 3xx is returned as a response for
 * the caller to treat as a failure), and at most 64 KiB of the response read.
 * Never throws: every outcome is a value.
 */
export function postCustomerWebhook(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  opts: PostOptions,
): Promise<PostOutcome> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const checked = checkCustomerWebhookUrl(rawUrl, { httpsOnly: opts.httpsOnly });
  if (!checked.ok) {
    return Promise.resolve({
      kind: 'refused',
      reason: 'url_not_allowed',
      error: checked.reason,
      detail: checked.reason,
      durationMs: 0,
    });
  }
  const url = checked.url;
  // Node skips `lookup` for IP-literal hosts, so those are checked here.
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal)) {
    const verdict = classifyAddress(literal, opts.allowLoopback);
    if (!verdict.allowed) {
      return Promise.resolve({
        kind: 'refused',
        reason: 'address_not_allowed',
        error: ADDRESS_NOT_ALLOWED_TEXT,
        detail: new AddressNotAllowedError(literal, verdict.category).message,
        durationMs: 0,
      });
    }
  }
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<PostOutcome>((done) => {
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      done(outcome);
    };
    const req = transport.request(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: guardedLookup(opts.allowLoopback, opts.resolve),
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Nixflex-Webhooks/1.0',
        },
      },
      (res) => {
        let read = 0;
        const status = res.statusCode ?? 0;
        const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) res.destroy();
        });
        const settle = () => finish({ kind: 'response', status, location, durationMs: elapsed() });
        res.on('end', settle);
        res.on('close', settle);
        res.on('error', settle);
      },
    );
    const timedOut = `timed out after ${opts.timeoutMs} ms`;
    const deadline = setTimeout(() => {
      req.destroy(Object.assign(new Error(timedOut), { code: 'NIXFLEX_DEADLINE' }));
    }, opts.timeoutMs);
    req.on('error', (err: Error) => {
      if (err instanceof AddressNotAllowedError) {
        finish({
          kind: 'refused',
          reason: 'address_not_allowed',
          error: ADDRESS_NOT_ALLOWED_TEXT,
          detail: err.message,
          durationMs: elapsed(),
        });
      } else {
        const code = (err as NodeJS.ErrnoException).code;
        finish({
          kind: 'error',
          error: code === 'NIXFLEX_DEADLINE' ? timedOut : connectionErrorText(code),
          detail: code ? `${code}: ${err.message}` : err.message,
          durationMs: elapsed(),
        });
      }
    });
    req.end(body);
  });
}
