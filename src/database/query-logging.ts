import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';

/**
 * TypeORM's log lines through the application's logger: pino at LOG_LEVEL in the server, nothing in the
 * CLI (whose Nest logger is off). Never a query's parameters, nor the server's error detail, which can
 * quote them ("Failing row contains (…)"): they hold password hashes and tokens.
 */
export class TypeOrmLogger implements Logger {
  private readonly logger = new NestLogger('TypeORM');

  /** Every statement: far too many to log. */
  logQuery(): void {}

  /**
   * At debug: a failure the code handles (a lost unique race is a 409) is no fault, and one it does not
   * handle reaches the exception filter, which logs it at error.
   */
  logQueryError(error: string | Error, query: string): void {
    const { code, constraint } = error as { code?: string; constraint?: string };
    this.logger.debug({ query, code, constraint }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ query, time_ms: time }, 'slow query');
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(message);
    else this.logger.log(message);
  }
}
