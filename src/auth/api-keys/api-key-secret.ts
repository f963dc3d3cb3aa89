import { createHmac, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/** What every key starts with, so that people, secret scanners and the guards recognise one. */
export const API_KEY_PREFIX = 'cbk_';
/** The characters of a key that lists show: the prefix and 8 of its random characters. */
export const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
/** `cbk_` and 43 base64url characters (256 random bits). */
export const API_KEY_PATTERN = /^cbk_[A-Za-z0-9_-]{43}$/;

/** A fresh key: 256 random bits after the prefix. */
export function newApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Digests API keys with HMAC-SHA-256 under a key derived from the JWT signing key.
 *
 * Why a fast keyed hash and not argon2 (as passwords have): a key is 256 random bits, not a guessable
 * password, so no dictionary or brute force can find it from its digest, however fast the hash; a slow
 * hash would cost tens of milliseconds of CPU on every gateway request and could not be looked up by an
 * index (a salted hash has to be recomputed per row). The HMAC key (a pepper the database does not hold)
 * means that a copy of the table alone cannot even confirm a guessed or leaked key. Rotating JWT_SECRET
 * therefore invalidates every API key, as it does every access token.
 */
export class ApiKeyDigester {
  private readonly hmacKey: Buffer;

  constructor(jwtKey: KeyObject) {
    this.hmacKey = Buffer.from(
      hkdfSync('sha256', jwtKey.export(), Buffer.alloc(0), 'chatbot api-key digest', 32),
    );
  }

  digest(apiKey: string): string {
    return createHmac('sha256', this.hmacKey).update(apiKey).digest('hex');
  }
}
