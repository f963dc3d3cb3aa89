import { HttpException, HttpStatus } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

/** A request body or query that failed validation; the filter renders it in the route family's shape. */
export class RequestValidationException extends HttpException {
  constructor(readonly fieldErrors: FieldError[]) {
    super(`Invalid ${[...new Set(fieldErrors.map((e) => e.field))].join(', ')}`, HttpStatus.BAD_REQUEST);
  }
}

/** An error whose body is fixed by a seed contract and sent exactly as given. */
export class SeedResponseException extends HttpException {
  constructor(
    readonly body: Record<string, unknown>,
    status: number,
    readonly headers: Record<string, string> = {},
  ) {
    super(body, status);
  }
}

/** Too many attempts; `retryAfterSeconds` becomes the `Retry-After` header. */
export class TooManyAttemptsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many failed attempts; try again later.', HttpStatus.TOO_MANY_REQUESTS);
  }
}
