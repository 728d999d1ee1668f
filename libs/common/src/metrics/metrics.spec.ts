import * as fs from 'node:fs';
import * as path from 'node:path';
import { countPublish, twilioOperation } from './instruments';
import { brokerPublished, initMetrics, registry } from './metrics';

const ROOT = path.resolve(__dirname, '../../../..');
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

describe('metric definitions', () => {
  beforeAll(() => initMetrics('unit'));

  const defined = (): Set<string> => new Set(registry.getMetricsAsArray().map((m) => m.name));

  it('every metric the Grafana dashboard queries is defined (it cannot drift)', () => {
    const dashboard = JSON.parse(read('docs/grafana-dashboard.json'));
    const exprs: string[] = JSON.stringify(dashboard.panels).match(/"expr":"(?:[^"\\]|\\.)*"/g) ?? [];
    expect(exprs.length).toBeGreaterThan(20);
    const queried = new Set(exprs.flatMap((e) => e.match(/\b(nixflex|process|nodejs)_[a-z0-9_]+/g) ?? []));
    const names = defined();
    const missing = [...queried].filter(
      (q) => !names.has(q) && !names.has(q.replace(/_(bucket|sum|count)$/, '')),
    );
    expect(missing).toEqual([]);
    // ... and it shows every one of ours.
    const ours = [...names].filter((n) => n.startsWith('nixflex_'));
    const shown = [...queried].map((q) => q.replace(/_(bucket|sum|count)$/, ''));
    expect(ours.filter((n) => !shown.includes(n))).toEqual([]);
  });

  it('docs/operations.md describes every metric of ours, with its unit in its name', () => {
    const docs = read('docs/operations.md');
    for (const m of registry.getMetricsAsArray().filter((x) => x.name.startsWith('nixflex_'))) {
      expect(docs).toContain(`\`${m.name}\``);
      const type = (m as unknown as { type: string }).type;
      if (type === 'counter') expect(m.name).toMatch(/_total$/);
      if (type === 'histogram') expect(m.name).toMatch(/_seconds$/);
    }
  });

  it('names a Twilio request by method and path pattern: no SID, number or value survives', () => {
    const sid = `AC${'0123456789abcdef'.repeat(2)}`;
    const sm = `SM${'fedcba9876543210'.repeat(2)}`;
    const base = `https://api.twilio.com/2010-04-01/Accounts/${sid}`;
    expect(twilioOperation('post', `${base}/Messages.json`)).toBe('POST Messages');
    expect(twilioOperation('get', `${base}/Messages/${sm}.json`)).toBe('GET Messages/:id');
    expect(twilioOperation('get', `${base}/IncomingPhoneNumbers.json?PhoneNumber=%2B447700900123`)).toBe(
      'GET IncomingPhoneNumbers',
    );
    expect(twilioOperation('get', 'https://lookups.twilio.com/v2/PhoneNumbers/+447700900123')).toBe(
      'lookups GET v2/PhoneNumbers/:id',
    );
    expect(twilioOperation('get', `https://api.twilio.com/2010-04-01/Accounts/${sid}.json`)).toBe('GET /');
    expect(twilioOperation('get', 'not a url')).toBe('GET other');
  });

  it('labels publishes by exchange kind and key, never by a per-caller reply queue', async () => {
    brokerPublished.reset();
    countPublish('p', 'p.events', 'sms.dispatch.v1', true);
    countPublish('p', '', 'p.messaging.retry', true);
    countPublish('p', '', 'amq.rabbitmq.reply-to.g1h2AA5yZXQAAAAAAAAAAQ==', true);
    countPublish('p', 'p.commands', 'sms.send.v1', false);
    const values = (await brokerPublished.get()).values.map((v) => v.labels);
    expect(values).toEqual([
      { exchange: 'events', key: 'sms.dispatch.v1', outcome: 'ok' },
      { exchange: 'default', key: 'messaging.retry', outcome: 'ok' },
      { exchange: 'default', key: 'reply', outcome: 'ok' },
      { exchange: 'commands', key: 'sms.send.v1', outcome: 'error' },
    ]);
  });
});
