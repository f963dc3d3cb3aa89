import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../config/app-config.js';
import { Sql, type Statement } from '../../database/sql.js';
import type { UserRole } from '../../users/user.entity.js';
import type { AuthUser } from '../auth-user.js';

export const ACCESS_TOKEN_TYPE = 'access';

export interface AccessClaims {
  sub: string;
  /** `user_id` and `jti`: the claims SimpleJWT clients (the sessions seed's) read; `user_id` is `sub`. */
  user_id: string;
  jti: string;
  token_type: typeof ACCESS_TOKEN_TYPE;
  name: string;
  role: UserRole;
  /** The account's `token_version` at issue; the token is refused once it has moved on. */
  ver: number;
  fid?: string;
}

/**
 * The account an access token names, read by primary key on every request, so that a deactivation, a
 * new password (both increment `token_version`) or a role change takes effect at once, not at expiry.
 * A prepared statement on the pool: one more round trip per request. Bench (`BENCH_ONLY=ceilings,list`,
 * PostgreSQL, three alternating pairs on a quiet machine, without → with this read): list 0.79–0.86 →
 * 0.58–0.73 of the db ceiling, app CPU 0.59–0.66 → 0.71–0.96 ms and PostgreSQL's 0.16–0.19 → 0.22–0.35
 * ms a request.
 */
const ACCOUNT: Statement = {
  name: 'access_token_account',
  text: 'SELECT username, role, is_active, token_version FROM users WHERE id = $1',
};

interface AccountRow {
  username: string;
  role: UserRole;
  is_active: boolean;
  token_version: number;
}

/**
 * Short-lived HS256 access tokens signed and checked by JwtService (algorithm, issuer, audience and
 * lifetime come from its module options): `sub`, `iat`, `exp`, a token-type claim, the account's token
 * version and SimpleJWT's `user_id` and `jti`; {@link confirm} checks a verified one against the account.
 */
@Injectable()
export class AccessTokensService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly sql: Sql,
  ) {}

  get ttlSeconds(): number {
    return this.config.jwt.accessTtlSeconds;
  }

  sign(
    user: { id: string; username: string; role: UserRole; tokenVersion: number },
    familyId?: string,
  ): string {
    const claims: AccessClaims = {
      sub: user.id,
      user_id: user.id,
      jti: randomUUID(),
      token_type: ACCESS_TOKEN_TYPE,
      name: user.username,
      role: user.role,
      ver: user.tokenVersion,
    };
    if (familyId) claims.fid = familyId;
    return this.jwt.sign(claims);
  }

  /** The caller an access token names, or null when it is forged, expired, revoked or not an access token. */
  async verify(token: string): Promise<AuthUser | null> {
    let claimed: AuthUser | null;
    try {
      claimed = toAuthUser(this.jwt.verify(token));
    } catch {
      return null;
    }
    return claimed && this.confirm(claimed);
  }

  /**
   * The caller a verified token's claims name, with the account's current name and role, or null when
   * the account is gone, inactive, or its token version has moved on since the token was issued.
   */
  async confirm(claimed: AuthUser): Promise<AuthUser | null> {
    const [account] = await this.sql.rows<AccountRow>(ACCOUNT, [claimed.id]);
    if (!account?.is_active || account.token_version !== claimed.tokenVersion) return null;
    return { ...claimed, username: account.username, role: account.role };
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
    tokenVersion: typeof claims.ver === 'number' ? claims.ver : 0, // tokens from before `ver`: version 0
  };
}
