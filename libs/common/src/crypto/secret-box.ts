import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption (AES-256-GCM) for credentials at rest: Twilio auth
 * tokens, Cal.com keys. The stored form is `v1:<keyId>:<iv>:<tag>:<ciphertext>`
 * (base64url parts), so keys can be rotated: new values use the first key,
 * old values still decrypt with the key they name. The GCM tag is always 16
 * bytes: set explicitly on both sides, and a shorter (truncated) tag is refused
 * (Node would otherwise accept tags down to 4 bytes on decryption).
 * `npm run cli -- credentials:reencrypt` re-seals stored values with the first key.
 */
export const SECRET_BOX_TAG_BYTES = 16;

export class SecretBox {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: { id: string; key: Buffer }[]) {
    if (keys.length === 0) throw new Error('SecretBox needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  encrypt(plaintext: string, associatedData = ''): string {
    const { id, key } = this.keys[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: SECRET_BOX_TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      'v1',
      id,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ct.toString('base64url'),
    ].join(':');
  }

  decrypt(sealed: string, associatedData = ''): string {
    const [version, id, iv, tag, ct] = sealed.split(':');
    const key = this.byId.get(id);
    if (version !== 'v1' || !key || !iv || !tag || ct === undefined) {
      throw new Error(`cannot decrypt: unknown format or key id "${id}"`);
    }
    const tagBytes = Buffer.from(tag, 'base64url');
    if (tagBytes.length !== SECRET_BOX_TAG_BYTES) {
      throw new Error(`cannot decrypt: the tag must be ${SECRET_BOX_TAG_BYTES} bytes`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
      authTagLength: SECRET_BOX_TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** The id of the key that encrypts (the first of the list); values sealed with another are re-sealed on rotation. */
  get currentKeyId(): string {
    return this.keys[0].id;
  }

  /** The key id a sealed value was encrypted with (for rotation reports). */
  static keyIdOf(sealed: string): string | undefined {
    return sealed.split(':')[1];
  }
}
