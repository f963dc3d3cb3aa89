import { ConflictException } from '@nestjs/common';
import { RequestValidationException } from '../common/exceptions.js';
import { mapErrors } from '../common/map-errors.js';
import { UsernameTakenError, WeakPasswordError } from '../users/users.service.js';
import { AuthenticationFailedException } from './auth.exceptions.js';
import { InvalidCredentialsError } from './credentials.service.js';
import { InvalidRefreshTokenError } from './tokens/refresh-tokens.service.js';

/** Awaits an auth operation, turning its domain errors into the native API's HTTP errors. */
export function withNativeAuthErrors<T>(operation: Promise<T>): Promise<T> {
  return mapErrors(operation, [
    [UsernameTakenError, (e) => new ConflictException(e.message)],
    [
      WeakPasswordError,
      (e) =>
        new RequestValidationException(
          (e as WeakPasswordError).reasons.map((message) => ({ field: 'password', message })),
        ),
    ],
    [InvalidCredentialsError, (e) => new AuthenticationFailedException('invalid', e.message)],
    [InvalidRefreshTokenError, (e) => new AuthenticationFailedException('invalid', e.message)],
  ]);
}
