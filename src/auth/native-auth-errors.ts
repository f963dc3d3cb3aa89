import { ConflictException, UnauthorizedException } from '@nestjs/common';
import { RequestValidationException } from '../common/exceptions.js';
import { UsernameTakenError, WeakPasswordError } from '../users/users.service.js';
import { InvalidCredentialsError } from './credentials.service.js';
import { InvalidRefreshTokenError } from './tokens/refresh-tokens.service.js';

/** Awaits an auth operation, turning its domain errors into the native API's HTTP errors. */
export async function withNativeAuthErrors<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof UsernameTakenError) throw new ConflictException(error.message);
    if (error instanceof WeakPasswordError) {
      throw new RequestValidationException(error.reasons.map((message) => ({ field: 'password', message })));
    }
    if (error instanceof InvalidCredentialsError || error instanceof InvalidRefreshTokenError) {
      throw new UnauthorizedException(error.message);
    }
    throw error;
  }
}
