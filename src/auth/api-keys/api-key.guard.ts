import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthUser } from '../auth-user.js';
import { AuthenticationFailedException } from '../auth.exceptions.js';
import { API_KEY_PREFIX } from './api-key-secret.js';
import { ApiKeysService } from './api-keys.service.js';

/** Metadata of the routes that take API keys, and only them: the global guard leaves those to {@link ApiKeyGuard}. */
export const API_KEY_ROUTE = 'apiKeyRoute';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The API key a request's `Authorization: Bearer cbk_…` header carries, if any. */
export function bearerApiKey(header: string | undefined): string | undefined {
  const token = BEARER.exec(header ?? '')?.[1];
  return token?.startsWith(API_KEY_PREFIX) ? token : undefined;
}

/**
 * Authenticates `Authorization: Bearer cbk_…` with a live API key of an active user, and nothing else:
 * an access JWT or a personal token is a 401 here, as an API key is on every other route.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly apiKeys: ApiKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const header = request.headers.authorization;
    if (!header)
      throw new AuthenticationFailedException(
        'missing',
        'An API key is required (Authorization: Bearer cbk_…).',
      );
    const key = bearerApiKey(header);
    if (!key)
      throw new AuthenticationFailedException('invalid', 'Only an API key (Bearer cbk_…) is accepted here.');
    const user = await this.apiKeys.authenticate(key);
    if (!user) throw new AuthenticationFailedException('invalid', 'Invalid, expired or revoked API key.');
    request.user = user;
    return true;
  }
}

/** Makes a route (or controller) take API keys only, through {@link ApiKeyGuard} instead of the global guard. */
export const ApiKeyAuth = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(API_KEY_ROUTE, true), UseGuards(ApiKeyGuard));
