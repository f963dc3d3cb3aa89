import type { StyledException } from '../common/exceptions.js';
import { ServiceUnavailableException } from '@nestjs/common';

/** The database could not be reached, or did not answer in time: 503, the request may be retried. */
export class DatabaseUnavailableException extends ServiceUnavailableException implements StyledException {
  /** Says only that the database is away, never why: shown to the client. */
  readonly publicDetail = true;

  constructor() {
    super('The database is unavailable; try again shortly.');
  }

  /** A hint for clients that retry by themselves (the OpenAI SDKs do, on the gateway). */
  headers(): Record<string, string> {
    return { 'retry-after': String(RETRY_AFTER_SECONDS) };
  }
}

/** About one wait for a pooled connection (DB_CONNECT_TIMEOUT_MS's default). */
const RETRY_AFTER_SECONDS = 5;

/**
 * SQLSTATEs that say the server or the connection failed, not the statement: class 08 (connection
 * exception), 57P01–57P05 (terminated by an administrator, crash or shutdown, cannot connect now, database
 * dropped, idle session timeout), 57014 (cancelled: statement_timeout), 53300 (too many connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-5]|57014|53300)$/;

/** Socket errors of a connection that cannot be made or was lost. */
const UNAVAILABLE_SOCKET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * What `pg` and `pg-pool` say, without a code, when a connection fails, is lost or times out, or the pool
 * is already closed (shutting down): pg 8's client.js and pg-pool's index.js. And TypeORM's
 * QueryRunnerAlreadyReleasedError and QueryRunnerProviderAlreadyReleasedError (`manager.query`): a
 * transaction's connection that was lost is released under it, so its next statement (or its COMMIT)
 * fails with that instead of the connection's error.
 */
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end|Query runner already released|Database connection provided by a query runner was already released)/;

/**
 * Whether an error means that the database is away or too slow, rather than that a statement failed:
 * looks through TypeORM's `QueryFailedError.driverError` and `cause` to the `pg` error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableException) return true;
  // Duck-typed, not `instanceof Error`: socket errors may come from another realm (Jest's, for one).
  let e: unknown = error;
  for (let depth = 0; typeof e === 'object' && e !== null && depth < 4; depth++) {
    const { code, message, driverError, cause } = e as Record<string, unknown>;
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET.has(code)))
      return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
    e = driverError ?? cause;
  }
  return false;
}

/** An unavailable database's error in a log line: its class, code and message, never a query's parameters. */
export function describeDatabaseError(error: unknown): { name: string; code?: string; message: string } {
  const e = error as Error & { code?: unknown; driverError?: unknown };
  const inner = (e.driverError ?? e) as Error & { code?: unknown };
  return {
    name: inner.name,
    ...(typeof inner.code === 'string' ? { code: inner.code } : {}),
    message: inner.message,
  };
}
