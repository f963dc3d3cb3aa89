import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../common/decorators.js';

const PING_TIMEOUT_MS = 3000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Liveness and readiness: 200 when the database answers, 503 otherwise.
   *
   * @remarks
   * Both answer with the same body, `{status, info, error, details}`: on 503 `status` is `error` and
   * `error.database` is `{status: "down", message, responseTime}`.
   */
  @Public()
  @Get()
  @HealthCheck()
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.pingDatabase()]);
    } catch (error) {
      // Terminus reports a failed check as an exception carrying the documented body, which the global
      // filter would replace by problem details: answer the body itself.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }

  /** `SELECT 1`, saying only that it failed: the driver's message may name hosts, users or databases. */
  private pingDatabase(): PromiseLike<HealthIndicatorResult<'database'>> {
    return this.indicators
      .check('database')
      .attempt(async () => {
        try {
          await this.dataSource.query('SELECT 1');
        } catch {
          throw new Error('The database is unavailable.');
        }
      })
      .withTimeout(PING_TIMEOUT_MS);
  }
}
