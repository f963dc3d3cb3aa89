import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../common/decorators.js';
import type { AuthUser } from './auth-user.js';
import { AuthenticationFailedException } from './auth.exceptions.js';
import { ApiTokensService } from './tokens/api-tokens.service.js';

const TOKEN_SCHEME = /^Token\s+(\S+)\s*$/i;

/**
 * The global guard: every route needs a caller unless marked @Public(). `Bearer <access JWT>` goes
 * through passport-jwt (signature and claims only, no database); `Token <personal token>` is looked up.
 */
@Injectable()
export class AuthenticationGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiTokens: ApiTokensService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]))
      return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const header = request.headers.authorization;
    if (!header) throw new AuthenticationFailedException('missing');
    const personal = TOKEN_SCHEME.exec(header);
    if (personal) {
      const user = await this.apiTokens.authenticate(personal[1]);
      if (!user) throw new AuthenticationFailedException('invalid');
      request.user = user;
      return true;
    }
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<TUser = AuthUser>(error: unknown, user: TUser | false): TUser {
    if (error || !user) throw new AuthenticationFailedException('invalid');
    return user;
  }
}
