import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { KeyObject } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config.js';
import type { AuthUser } from './auth-user.js';
import { toAuthUser } from './tokens/access-tokens.service.js';
import { JWT_KEY } from './tokens/jwt-key.js';

/** The callbacks passport gives a strategy for one authentication attempt. */
interface StrategyAttempt {
  success(user: AuthUser): void;
  fail(): void;
  error(error: unknown): void;
  pass(): void;
  redirect(): void;
  authenticate(request: unknown, options: object): void;
}

/** passport-jwt: Bearer access tokens, HS256 only, issuer and audience checked; no database lookup. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(JWT_KEY) key: KeyObject, config: AppConfig) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: key as unknown as string,
      algorithms: ['HS256'],
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ignoreExpiration: false,
    });
  }

  validate(payload: unknown): AuthUser | false {
    return toAuthUser(payload) ?? false;
  }

  /**
   * The caller a request's Bearer token names, or false. This is what passport's `authenticate`
   * middleware does with a strategy (a per-attempt object whose callbacks settle the outcome), without
   * the middleware's per-request set-up, which cost more than the token check on every API call.
   */
  authenticateRequest(request: unknown): Promise<AuthUser | false> {
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
