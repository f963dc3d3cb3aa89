import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { KeyObject } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config.js';
import type { AuthUser } from './auth-user.js';
import { AccessTokensService, toAuthUser } from './tokens/access-tokens.service.js';
import { accessVerifyOptions, JWT_KEY } from './tokens/jwt-key.js';

/** The callbacks passport gives a strategy for one authentication attempt. */
interface StrategyAttempt {
  success(user: AuthUser): void;
  fail(): void;
  error(error: unknown): void;
  pass(): void;
  redirect(): void;
  authenticate(request: unknown, options: object): void;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** Tokens remembered as verified; the oldest is forgotten first beyond this. */
const REMEMBERED_TOKENS = 10_000;

/**
 * passport-jwt: Bearer access tokens, HS256 only, issuer and audience checked, then the account they
 * name read by primary key (active, same token version; its current role). A token's signature and
 * claims once verified are remembered until it expires: that verdict depends only on its text, the key
 * and the clock, and a client sends the same token with every call (a verification cost about a
 * twentieth of a session page's CPU).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly verified = new Map<string, { user: AuthUser; expiresAtMs: number }>();
  private readonly expiryOf = new WeakMap<AuthUser, number>();

  constructor(
    @Inject(JWT_KEY) key: KeyObject,
    config: AppConfig,
    private readonly accessTokens: AccessTokensService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: key as unknown as string,
      ...accessVerifyOptions(config),
      ignoreExpiration: false,
    });
  }

  validate(payload: unknown): AuthUser | false {
    const user = toAuthUser(payload);
    if (!user) return false;
    const exp = (payload as { exp?: unknown }).exp;
    if (typeof exp === 'number') this.expiryOf.set(user, exp * 1000);
    return user;
  }

  /**
   * The caller a request's Bearer token names, or false; a database failure rejects (it is no verdict
   * on the token).
   */
  async authenticateRequest(request: { headers: { authorization?: string } }): Promise<AuthUser | false> {
    const claimed = await this.verifiedClaims(request);
    return (claimed && (await this.accessTokens.confirm(claimed))) || false;
  }

  /**
   * The caller a token's verified claims name. On a token not yet remembered this is what passport's
   * `authenticate` middleware does with a strategy (a per-attempt object whose callbacks settle the
   * outcome), without the middleware's per-request set-up.
   */
  private async verifiedClaims(request: { headers: { authorization?: string } }): Promise<AuthUser | false> {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const known = token === undefined ? undefined : this.verified.get(token);
    if (known && known.expiresAtMs > Date.now()) return known.user;
    const user = await this.runStrategy(request).catch(() => false as const);
    if (user && token !== undefined) this.remember(token, user);
    return user;
  }

  private remember(token: string, user: AuthUser): void {
    const expiresAtMs = this.expiryOf.get(user);
    if (expiresAtMs === undefined) return;
    this.verified.delete(token);
    if (this.verified.size >= REMEMBERED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { user, expiresAtMs });
  }

  private runStrategy(request: unknown): Promise<AuthUser | false> {
    return new Promise((resolve, reject) => {
      const attempt = Object.create(this) as StrategyAttempt;
      attempt.success = resolve;
      attempt.fail = () => resolve(false);
      attempt.pass = () => resolve(false);
      attempt.redirect = () => resolve(false);
      attempt.error = reject;
      attempt.authenticate(request, {});
    });
  }
}
