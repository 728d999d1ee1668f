import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { createTwilioClient, rewriteTwilioUrl } from './twilio-client';

describe('rewriteTwilioUrl', () => {
  it('replaces the Twilio origin and keeps path and query', () => {
    expect(
      rewriteTwilioUrl(
        'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?To=%2B15551234567&PageSize=50',
        'http://127.0.0.1:4010',
      ),
    ).toBe('http://127.0.0.1:4010/2010-04-01/Accounts/AC1/Messages.json?To=%2B15551234567&PageSize=50');
  });

  it('keeps a path prefix of the base URL and ignores its trailing slash', () => {
    expect(
      rewriteTwilioUrl('https://api.twilio.com/2010-04-01/Accounts/AC1.json', 'http://sandbox:4010/twilio/'),
    ).toBe('http://sandbox:4010/twilio/2010-04-01/Accounts/AC1.json');
  });

  it('rewrites regional/edge Twilio hosts too, and leaves other hosts alone', () => {
    expect(rewriteTwilioUrl('https://api.dublin.ie1.twilio.com/2010-04-01/x.json', 'http://h:1')).toBe(
      'http://h:1/2010-04-01/x.json',
    );
    expect(rewriteTwilioUrl('https://example.com/a?b=1', 'http://h:1')).toBe('https://example.com/a?b=1');
  });
});

describe('createTwilioClient', () => {
  let server: http.Server;
  let baseUrl: string;
  const seen: { method?: string; url?: string; auth?: string }[] = [];
  let mode: 'ok' | 'slow' | '429' = 'ok';

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization });
      req.resume();
      if (mode === 'slow') return; // never answer
      if (mode === '429') {
        res.writeHead(429, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 20429, message: 'Too Many Requests', more_info: '', status: 429 }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sid: 'AC' + 'a'.repeat(32), friendly_name: 'x', status: 'active' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  beforeEach(() => {
    seen.length = 0;
    mode = 'ok';
  });

  const sid = 'AC' + 'a'.repeat(32);

  it('sends SDK requests to the base URL with basic auth', async () => {
    const client = createTwilioClient(sid, 'tok', baseUrl);
    const acct = await client.api.v2010.accounts(sid).fetch();
    expect(acct.sid).toBe(sid);
    expect(seen).toHaveLength(1);
    expect(seen[0].method).toBe('GET');
    expect(seen[0].url).toBe(`/2010-04-01/Accounts/${sid}.json`);
    expect(seen[0].auth).toBe('Basic ' + Buffer.from(`${sid}:tok`).toString('base64'));
  });

  it('does not retry a 429 inside the SDK', async () => {
    mode = '429';
    const client = createTwilioClient(sid, 'tok', baseUrl);
    await expect(client.api.v2010.accounts(sid).fetch()).rejects.toMatchObject({ status: 429, code: 20429 });
    expect(seen).toHaveLength(1);
  });

  it('applies the configured timeout', async () => {
    mode = 'slow';
    const client = createTwilioClient(sid, 'tok', baseUrl, { timeoutMs: 200 });
    const started = Date.now();
    await expect(client.api.v2010.accounts(sid).fetch()).rejects.toThrow(/timeout/i);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
