import { HttpException, HttpStatus } from '@nestjs/common';
import type { ErrorStyle } from './error-style.js';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * An exception that knows how the seed contracts spell it: `bodyFor` returns the exact body for a
 * style (undefined: the default rendering), `headers` any headers it needs (Retry-After, WWW-Authenticate).
 */
export interface StyledException {
  bodyFor?(style: ErrorStyle): Record<string, unknown> | undefined;
  headers?(): Record<string, string>;
  /** A 5xx whose message is meant for the client (an upstream's failure, not ours): shown, not masked. */
  readonly publicDetail?: boolean;
  /** A problem type of its own (RFC 9457 `type`, instead of `about:blank`) and its extension members. */
  problemType?(): { type: string; members: Record<string, unknown> };
  /** The `error.code` of the gateway's OpenAI-shaped body (`invalid_api_key`, `insufficient_quota`). */
  readonly openAiCode?: string;
}

/** A request body or query that failed validation; the filter renders it in the route family's shape. */
export class RequestValidationException extends HttpException {
  constructor(readonly fieldErrors: FieldError[]) {
    super(
      `Invalid ${[...new Set(fieldErrors.map((e) => e.field || 'body'))].join(', ')}.`,
      HttpStatus.BAD_REQUEST,
    );
  }

  /** The native API's `errors` items: `{field, message}`, and whatever members a subclass adds. */
  errorItems(): Record<string, unknown>[] {
    return this.fieldErrors.map((e) => ({ field: e.field || 'body', message: e.message }));
  }
}

/** An error whose body a seed contract fixes; on the native API it renders as problem details with `detail`. */
export class SeedResponseException extends HttpException implements StyledException {
  constructor(
    private readonly body: Record<string, unknown>,
    status: number,
    detail = String(Object.values(body)[0]),
  ) {
    super(detail, status);
  }

  bodyFor(style: ErrorStyle): Record<string, unknown> | undefined {
    return style === 'problem' ? undefined : this.body;
  }
}

/** Too many attempts: 429 with `Retry-After`; the seed routes get Django REST Framework's throttling body. */
export class TooManyAttemptsException extends HttpException implements StyledException {
  readonly openAiCode = 'rate_limit_exceeded';

  constructor(
    readonly retryAfterSeconds: number,
    detail = 'Too many failed attempts; try again later.',
  ) {
    super(detail, HttpStatus.TOO_MANY_REQUESTS);
  }

  headers(): Record<string, string> {
    return { 'retry-after': String(this.retryAfterSeconds) };
  }

  bodyFor(style: ErrorStyle): Record<string, unknown> | undefined {
    if (style === 'problem') return undefined;
    return { detail: `Request was throttled. Expected available in ${this.retryAfterSeconds} seconds.` };
  }
}
