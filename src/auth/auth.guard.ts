import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../common/decorators.js';
import { API_KEY_ROUTE, bearerApiKey } from './api-keys/api-key.guard.js';
import type { AuthUser } from './auth-user.js';
import { AuthenticationFailedException } from './auth.exceptions.js';
import { JwtStrategy } from './jwt.strategy.js';
import { ApiTokensService } from './tokens/api-tokens.service.js';

const TOKEN_SCHEME = /^Token\s+(\S+)\s*$/i;

/**
 * The global guard: every route needs a caller unless marked @Public(). `Bearer <access JWT>` goes
 * through passport-jwt (signature and claims, then the account by primary key); `Token <personal token>`
 * is looked up with its account. An API key (`Bearer cbk_…`) is refused: keys are for the gateway's
 * routes, marked @ApiKeyAuth(), which this guard leaves to ApiKeyGuard.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtStrategy,
    private readonly apiTokens: ApiTokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    if (this.reflector.getAllAndOverride<boolean>(API_KEY_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const header = request.headers.authorization;
    if (!header) throw new AuthenticationFailedException('missing');
    if (bearerApiKey(header)) {
      throw new AuthenticationFailedException(
        'invalid',
        'An API key works on the gateway (/v1) only; use an access token here.',
      );
    }
    const personal = TOKEN_SCHEME.exec(header);
    const user = personal
      ? await this.apiTokens.authenticate(personal[1])
      : await this.jwt.authenticateRequest(request);
    if (!user) throw new AuthenticationFailedException('invalid');
    request.user = user;
    return true;
  }
}
