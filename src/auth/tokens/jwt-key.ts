import { Module } from '@nestjs/common';
import type { JwtModuleOptions } from '@nestjs/jwt';
import { createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../../config/app-config.js';

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

/** The key, loaded once, for both JwtModule (issuing, checking) and the passport-jwt strategy. */
@Module({
  providers: [{ provide: JWT_KEY, inject: [AppConfig], useFactory: loadJwtKey }],
  exports: [JWT_KEY],
})
export class JwtKeyModule {}

/** What checking an access token requires, for JwtService and the passport-jwt strategy alike. */
export function accessVerifyOptions(config: AppConfig): {
  algorithms: ['HS256'];
  issuer: string;
  audience: string;
} {
  return { algorithms: ['HS256'], issuer: config.jwt.issuer, audience: config.jwt.audience };
}

/** JwtService's settings: HS256 only, with our key, issuer, audience and access-token lifetime. */
export function jwtModuleOptions(key: KeyObject, config: AppConfig): JwtModuleOptions {
  const { issuer, audience, accessTtlSeconds } = config.jwt;
  return {
    secret: key,
    signOptions: { algorithm: 'HS256', expiresIn: accessTtlSeconds, issuer, audience },
    verifyOptions: accessVerifyOptions(config),
  };
}
