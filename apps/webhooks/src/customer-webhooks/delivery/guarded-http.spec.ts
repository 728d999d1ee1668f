import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { postCustomerWebhook } from './guarded-http';

describe('postCustomerWebhook (guarded HTTP)', () => {
  let server: http.Server;
  let port: number;
  let hits: { url?: string; body: string; headers: http.IncomingHttpHeaders }[];
  let respond: (res: http.ServerResponse) => void;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hits.push({ url: req.url, body, headers: req.headers });
        respond(res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    hits = [];
    respond = (res) => res.writeHead(204).end();
  });

  const opts = { timeoutMs: 2000, allowLoopback: true, httpsOnly: false };

  it('posts the body with the given headers and reports the status', async () => {
    const out = await postCustomerWebhook(
      `http://127.0.0.1:${port}/hook`,
      '{"a":1}',
      { 'webhook-id': 'evt_1' },
      opts,
    );
    expect(out).toMatchObject({ kind: 'response', status: 204 });
    expect(hits).toHaveLength(1);
    expect(hits[0].body).toBe('{"a":1}');
    expect(hits[0].headers['webhook-id']).toBe('evt_1');
    expect(hits[0].headers['content-type']).toBe('application/json');
  });

  it('does not follow redirects', async () => {
    respond = (res) => res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
    const out = await postCustomerWebhook(`http://127.0.0.1:${port}/hook`, '{}', {}, opts);
    expect(out).toMatchObject({
      kind: 'response',
      status: 302,
      location: `http://127.0.0.1:${port}/elsewhere`,
    });
    expect(hits.map((h) => h.url)).toEqual(['/hook']);
  });

  it('gives up at the deadline', async () => {
    respond = () => undefined; // never answers
    const out = await postCustomerWebhook(
      `http://127.0.0.1:${port}/slow`,
      '{}',
      {},
      { ...opts, timeoutMs: 300 },
    );
    expect(out.kind).toBe('error');
    expect(out.kind === 'error' && out.error).toMatch(/timed out after 300 ms/);
  });

  it('refuses loopback when not allowed, by literal and by resolved name, without connecting', async () => {
    const strict = { ...opts, allowLoopback: false };
    for (const url of [`http://127.0.0.1:${port}/`, `http://[::1]:${port}/`, `http://localhost:${port}/`]) {
      const out = await postCustomerWebhook(url, '{}', {}, strict);
      expect(out).toMatchObject({ kind: 'refused', reason: 'address_not_allowed' });
    }
    expect(hits).toHaveLength(0);
  });

  it('checks the address DNS returns at connect time (a name resolving to metadata or private space)', async () => {
    for (const address of ['169.254.169.254', '10.0.0.1', 'fd00:ec2::254', '::ffff:192.168.0.1']) {
      let resolved = 0;
      const resolve = async () => {
        resolved++;
        return [{ address, family: address.includes(':') ? 6 : 4 }];
      };
      const out = await postCustomerWebhook('http://customer.example/hook', '{}', {}, { ...opts, resolve });
      expect(resolved).toBeGreaterThan(0);
      expect(out).toMatchObject({ kind: 'refused', reason: 'address_not_allowed' });
      // The tenant-visible text is generic; the address is only in the detail (for the log).
      expect(out.kind === 'refused' && out.error).toBe('the URL resolves to a private or reserved address');
      expect(out.kind === 'refused' && out.detail).toContain(address);
    }
  });

  it('refuses when any resolved address is not allowed (mixed answers)', async () => {
    const resolve = async () => [
      { address: '127.0.0.1', family: 4 },
      { address: '10.0.0.1', family: 4 },
    ];
    const out = await postCustomerWebhook(`http://mixed.example:${port}/`, '{}', {}, { ...opts, resolve });
    expect(out).toMatchObject({ kind: 'refused', reason: 'address_not_allowed' });
    expect(hits).toHaveLength(0);
  });

  it('connects to the address the guarded lookup returned', async () => {
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    const out = await postCustomerWebhook(
      `http://customer.example:${port}/x`,
      '{}',
      {},
      { ...opts, resolve },
    );
    expect(out).toMatchObject({ kind: 'response', status: 204 });
    expect(hits[0].headers.host).toBe(`customer.example:${port}`);
  });

  it('refuses plain http in production before any lookup', async () => {
    const resolve = jest.fn(async () => [{ address: '8.8.8.8', family: 4 }]);
    const out = await postCustomerWebhook(
      'http://customer.example/hook',
      '{}',
      {},
      { ...opts, httpsOnly: true, resolve },
    );
    expect(out).toMatchObject({ kind: 'refused', reason: 'url_not_allowed' });
    expect(resolve).not.toHaveBeenCalled();
  });
});
