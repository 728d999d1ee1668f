import * as http from 'node:http';
import * as https from 'node:https';

/**
 * Outgoing webhook HTTP client (status callbacks and inbound SMS), the way
 * Twilio calls customer URLs: form-encoded POST, or GET with the parameters
 * in the query string.
 */

export interface WebhookResult {
  /** HTTP status, 0 when no response was received. */
  status: number;
  body: string;
  ms: number;
  error?: string;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

export class WebhookTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });

  constructor(private readonly timeoutMs = 15_000) {}

  /** The URL Twilio signs: for GET the parameters are appended to the query string. */
  static urlFor(url: string, method: string, params: Record<string, string>): string {
    if (method.toUpperCase() !== 'GET') return url;
    const u = new URL(url);
    for (const [k, v] of Object.entries(params)) u.searchParams.append(k, v);
    return u.toString();
  }

  send(
    url: string,
    method: string,
    params: Record<string, string>,
    headers: Record<string, string>,
  ): Promise<WebhookResult> {
    const started = Date.now();
    const upper = method.toUpperCase() === 'GET' ? 'GET' : 'POST';
    let target: URL;
    try {
      target = new URL(WebhookTransport.urlFor(url, upper, params));
    } catch {
      return Promise.resolve({ status: 0, body: '', ms: 0, error: `invalid URL: ${url}` });
    }
    const payload = upper === 'POST' ? new URLSearchParams(params).toString() : '';
    const isHttps = target.protocol === 'https:';
    const requestHeaders: Record<string, string | number> = {
      'user-agent': 'TwilioProxy/1.1',
      accept: '*/*',
      ...headers,
    };
    if (upper === 'POST') {
      requestHeaders['content-type'] = 'application/x-www-form-urlencoded';
      requestHeaders['content-length'] = Buffer.byteLength(payload);
    }
    return new Promise((resolve) => {
      let settled = false;
      const finish = (r: Omit<WebhookResult, 'ms'>) => {
        if (settled) return;
        settled = true;
        resolve({ ...r, ms: Date.now() - started });
      };
      const req = (isHttps ? https : http).request(
        target,
        {
          method: upper,
          headers: requestHeaders,
          agent: isHttps ? this.httpsAgent : this.httpAgent,
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
          });
          res.on('end', () =>
            finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (e) => finish({ status: res.statusCode ?? 0, body: '', error: e.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout after ${this.timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) =>
        finish({ status: 0, body: '', error: e.code ?? e.message }),
      );
      req.end(payload);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
