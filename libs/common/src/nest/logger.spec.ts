import { Writable } from 'node:stream';
import { acceptRequestId, currentRequestId, runWithRequestId } from '../context';
import { createPino } from './logger';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function capture(level: 'log' | 'debug' = 'log') {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: createPino('messaging', { logLevel: level, logFormat: 'json' }, dest) };
}

describe('service logger', () => {
  it('writes service, level, time, msg and the current request id', async () => {
    const { lines, log } = capture();
    log.info('outside');
    await runWithRequestId('abc-123', async () => {
      await new Promise((r) => setImmediate(r));
      log.info({ context: 'Test' }, 'inside');
    });
    log.debug('not at the default level');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      level: 'info',
      time: expect.any(String),
      service: 'messaging',
      msg: 'outside',
    });
    expect(lines[1]).toMatchObject({ level: 'info', context: 'Test', request_id: 'abc-123', msg: 'inside' });
    expect(Object.keys(lines[1]).filter((k) => k === 'request_id')).toHaveLength(1);
  });

  it('redacts credentials and message bodies in logged objects, not an error message', () => {
    const { lines, log } = capture();
    log.info({
      headers: { authorization: 'Bearer sk_live', 'x-api-key': 'k1' },
      auth_token: 'tw-token',
      number: { twilio_token: 'tw2', calcom_api_key: 'cal-key-9' },
      body: 'hello there',
      payload: { Body: 'inbound words', message: 'outbound words', prompt: 'system prompt' },
      err: { message: 'stays readable' },
    });
    const text = JSON.stringify(lines[0]);
    for (const secret of [
      'sk_live',
      'k1',
      'tw-token',
      'tw2',
      'cal-key-9',
      'hello there',
      'inbound',
      'outbound',
      'system prompt',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('stays readable');
    expect(lines[0]).toMatchObject({ auth_token: '[redacted]', body: '[redacted]' });
  });
});

describe('request ids', () => {
  it('accepts a safe id of at most 128 characters, else makes a UUID', () => {
    expect(acceptRequestId('client-1.a:b/c')).toBe('client-1.a:b/c');
    expect(acceptRequestId(['first', 'second'])).toBe('first');
    for (const bad of [undefined, '', 'x'.repeat(129), 'with space', 'quote"', 'line\nbreak', 42]) {
      expect(acceptRequestId(bad)).toMatch(UUID);
    }
  });

  it('work without a valid id never inherits the surrounding one', () => {
    runWithRequestId('outer', () => {
      expect(currentRequestId()).toBe('outer');
      runWithRequestId(undefined, () => expect(currentRequestId()).toBeUndefined());
      runWithRequestId('bad id', () => expect(currentRequestId()).toBeUndefined());
    });
  });
});
