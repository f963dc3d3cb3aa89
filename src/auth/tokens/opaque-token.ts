import { createHash, randomBytes } from 'node:crypto';

/** A fresh opaque token: 256 random bits, base64url. */
export function newRefreshTokenValue(): string {
  return randomBytes(32).toString('base64url');
}

/** A fresh personal API token: 40 hex characters, the shape Django REST Framework's tokens have. */
export function newApiTokenValue(): string {
  return randomBytes(20).toString('hex');
}

/** Only this digest is stored; a high-entropy token needs no slow hash. */
export function digestToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
