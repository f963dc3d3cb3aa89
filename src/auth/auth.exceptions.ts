import { HttpException, HttpStatus } from '@nestjs/common';
import type { ErrorStyle } from '../common/error-style.js';
import type { StyledException } from '../common/exceptions.js';

/**
 * 401: no credentials, or credentials that are forged, expired, revoked or of the wrong kind (a login's
 * password or a refresh token included). Every native 401 carries WWW-Authenticate, as RFC 9110 requires.
 */
export class AuthenticationFailedException extends HttpException implements StyledException {
  readonly openAiCode = 'invalid_api_key';

  constructor(
    readonly reason: 'missing' | 'invalid',
    detail = reason === 'missing' ? 'Authentication required.' : 'Invalid or expired credentials.',
  ) {
    super(detail, HttpStatus.UNAUTHORIZED);
  }

  headers(): Record<string, string> {
    return { 'www-authenticate': 'Bearer realm="api"' };
  }

  bodyFor(style: ErrorStyle): Record<string, unknown> | undefined {
    if (style === 'problem') return undefined;
    if (this.reason === 'missing') return { detail: 'Authentication credentials were not provided.' };
    if (style === 'quick-chat') return { detail: 'Invalid token.' };
    return { detail: 'Given token not valid for any token type', code: 'token_not_valid' };
  }
}
