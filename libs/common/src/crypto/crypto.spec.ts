import { hashSecret, newKeyId, newKeySecret, parseBearer, secretMatches } from './api-key';
import { SecretBox } from './secret-box';

const key = (id: string, fill: number) => ({ id, key: Buffer.alloc(32, fill) });

describe('SecretBox', () => {
  it('round-trips and never stores the plaintext', () => {
    const box = new SecretBox([key('k1', 1)]);
    const sealed = box.encrypt('twilio-token-123', '+447446466847');
    expect(sealed).not.toContain('twilio-token-123');
    expect(sealed.startsWith('v1:k1:')).toBe(true);
    expect(box.decrypt(sealed, '+447446466847')).toBe('twilio-token-123');
  });

  it('refuses a tampered value or one bound to another number', () => {
    const box = new SecretBox([key('k1', 1)]);
    const sealed = box.encrypt('secret', '+447446466847');
    expect(() => box.decrypt(sealed, '+447446466848')).toThrow();
    const parts = sealed.split(':');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => box.decrypt(parts.join(':'), '+447446466847')).toThrow();
  });

  it('writes a 16-byte tag and refuses a truncated one', () => {
    const box = new SecretBox([key('k1', 1)]);
    const parts = box.encrypt('secret-token', '+447700900001').split(':');
    expect(Buffer.from(parts[3], 'base64url')).toHaveLength(16);
    // GCM would verify a 4-byte prefix of the right tag unless the length is pinned.
    parts[3] = Buffer.from(parts[3], 'base64url').subarray(0, 4).toString('base64url');
    expect(() => box.decrypt(parts.join(':'), '+447700900001')).toThrow(/16 bytes/);
  });

  it('decrypts with an older key after rotation and encrypts with the newest', () => {
    const old = new SecretBox([key('old', 1)]);
    const sealed = old.encrypt('s');
    const rotated = new SecretBox([key('new', 2), key('old', 1)]);
    expect(rotated.decrypt(sealed)).toBe('s');
    expect(SecretBox.keyIdOf(rotated.encrypt('s'))).toBe('new');
    expect(() => new SecretBox([key('new', 2)]).decrypt(sealed)).toThrow(/key id "old"/);
  });
});

describe('API keys', () => {
  it('matches only the right secret, by hash', () => {
    const secret = newKeySecret();
    const stored = hashSecret(secret);
    expect(stored).not.toContain(secret);
    expect(secretMatches(secret, stored)).toBe(true);
    expect(secretMatches(`${secret}x`, stored)).toBe(false);
  });

  it('parses only "Bearer KEY_ID:KEY_SECRET"', () => {
    const id = newKeyId();
    expect(parseBearer(`Bearer ${id}:sk_abc-_1`)).toEqual({ keyId: id, secret: 'sk_abc-_1' });
    for (const bad of [
      undefined,
      '',
      'Bearer',
      `Bearer ${id}`,
      `Basic ${id}:x`,
      `Bearer ${id}:`,
      'Bearer a:b:c',
    ]) {
      expect(parseBearer(bad)).toBeUndefined();
    }
  });
});
