import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';

export const IS_PUBLIC = 'isPublic';

/** Opts a route (or controller) out of the global authentication guard. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/**
 * Documents what the global guard accepts on every route that is not @Public(): a `Bearer` access JWT
 * or a personal `Token` (AuthenticationGuard). `first` is the scheme the route family is written for.
 */
export const ApiCallerAuth = (first: 'bearer' | 'token' = 'bearer'): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ...(first === 'bearer' ? ['bearer', 'token'] : ['token', 'bearer']).map((s) => ApiSecurity(s)),
  );

/** The authenticated caller the guard attached to the request. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser =>
    context.switchToHttp().getRequest<{ user: AuthUser }>().user,
);
