import { createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from '../../config/app-config.js';

/**
 * The HS256 signing key as a KeyObject: jsonwebtoken verifies with it in microseconds, where a string
 * secret costs about half a millisecond a call (it is first tried as a PEM key).
 * Without JWT_SECRET (allowed outside production), a random secret is generated once and kept in DATA_DIR.
 */
export function loadJwtKey(config: AppConfig): KeyObject {
  if (config.jwt.secret) return createSecretKey(Buffer.from(config.jwt.secret, 'utf8'));
  const file = join(config.dataDir, 'jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return createSecretKey(Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8'));
}

export const JWT_KEY = Symbol('JWT_KEY');
