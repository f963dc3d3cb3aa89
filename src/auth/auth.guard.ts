import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../common/decorators.js';
import type { AuthUser } from './auth-user.js';
import { AuthenticationFailedException } from './auth.exceptions.js';
import { JwtStrategy } from './jwt.strategy.js';
import { ApiTokensService } from './tokens/api-tokens.service.js';

const TOKEN_SCHEME = /^Token\s+(\S+)\s*$/i;

/**
 * The global guard: every route needs a caller unless marked @Public(). `Bearer <access JWT>` goes
 * through passport-jwt (signature and claims, then the account by primary key); `Token <personal token>`
 * is looked up with its account.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtStrategy,
    private readonly apiTokens: ApiTokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]))
      return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const header = request.headers.authorization;
    if (!header) throw new AuthenticationFailedException('missing');
    const personal = TOKEN_SCHEME.exec(header);
    const user = personal
      ? await this.apiTokens.authenticate(personal[1])
      : await this.jwt.authenticateRequest(request);
    if (!user) throw new AuthenticationFailedException('invalid');
    request.user = user;
    return true;
  }
}
