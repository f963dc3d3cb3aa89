import { Inject, Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppConfig } from '../../config/app-config.js';
import type { UserRole } from '../../users/user.entity.js';
import type { AuthUser } from '../auth-user.js';
import { JWT_KEY } from './jwt-key.js';

export const ACCESS_TOKEN_TYPE = 'access';

export interface AccessClaims {
  sub: string;
  token_type: typeof ACCESS_TOKEN_TYPE;
  name: string;
  role: UserRole;
  fid?: string;
}

/** Short-lived HS256 access tokens: `sub`, `iat`, `exp`, issuer, audience and a token-type claim. */
@Injectable()
export class AccessTokensService {
  constructor(
    @Inject(JWT_KEY) private readonly key: KeyObject,
    private readonly config: AppConfig,
  ) {}

  get ttlSeconds(): number {
    return this.config.jwt.accessTtlSeconds;
  }

  /** The options both issuing and checking use: one algorithm, our issuer and audience. */
  get verifyOptions(): jwt.VerifyOptions & { algorithms: ['HS256'] } {
    return { algorithms: ['HS256'], issuer: this.config.jwt.issuer, audience: this.config.jwt.audience };
  }

  sign(user: { id: string; username: string; role: UserRole }, familyId?: string): string {
    const claims: AccessClaims = {
      sub: user.id,
      token_type: ACCESS_TOKEN_TYPE,
      name: user.username,
      role: user.role,
    };
    if (familyId) claims.fid = familyId;
    return jwt.sign(claims, this.key, {
      algorithm: 'HS256',
      expiresIn: this.ttlSeconds,
      issuer: this.config.jwt.issuer,
      audience: this.config.jwt.audience,
    });
  }

  /** The caller an access token names, or null when it is forged, expired or not an access token. */
  verify(token: string): AuthUser | null {
    try {
      return toAuthUser(jwt.verify(token, this.key, this.verifyOptions));
    } catch {
      return null;
    }
  }
}

export function toAuthUser(payload: unknown): AuthUser | null {
  const claims = payload as Partial<AccessClaims> | null;
  if (!claims || claims.token_type !== ACCESS_TOKEN_TYPE || typeof claims.sub !== 'string') return null;
  if (claims.role !== 'user' && claims.role !== 'admin') return null;
  return {
    id: claims.sub,
    username: String(claims.name),
    role: claims.role,
    via: 'jwt',
    familyId: claims.fid,
  };
}
