import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Key ids: lowercase letters and digits, so the `_` separators stay unambiguous. */
const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const KEY_PATTERN = /^rsk_([a-z0-9]{4,32})_([A-Za-z0-9_-]{16,128})$/;

/** A key split into the id it is looked up by and the secret that proves it. */
export interface ParsedApiKey {
  id: string;
  secret: string;
}

/**
 * API key format and hashing. A key is `rsk_<id>_<secret>`: the id (12 characters) finds the
 * stored row, the secret (32 random bytes, base64url) is checked against the stored SHA-256. A
 * 256-bit random secret cannot be guessed or brute-forced from its hash, so a slow hash (scrypt)
 * would only add latency to every request.
 */
export const ApiKeySecret = {
  /** A new random key. Show `key` once; store only `hash(secret)`. */
  generate(): ParsedApiKey & { key: string } {
    const bytes = randomBytes(12);
    const id = Array.from(bytes, (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
    const secret = randomBytes(32).toString('base64url');
    return { id, secret, key: `rsk_${id}_${secret}` };
  },

  /** Splits a presented key; undefined when it is not of the `rsk_<id>_<secret>` form. */
  parse(key: string): ParsedApiKey | undefined {
    const match = KEY_PATTERN.exec(key.trim());
    return match ? { id: match[1]!, secret: match[2]! } : undefined;
  },

  /** The stored form of a secret: `sha256:<hex>`. */
  hash(secret: string): string {
    return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
  },

  /** Compares a presented secret with a stored hash in constant time. */
  matches(secret: string, storedHash: string): boolean {
    const expected = Buffer.from(storedHash, 'utf8');
    const actual = Buffer.from(ApiKeySecret.hash(secret), 'utf8');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  },
};
