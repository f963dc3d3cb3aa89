import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiCallerAuth } from '../common/decorators.js';
import { ApiProblemResponses } from '../common/api-errors.decorator.js';
import { StatsDto } from './dto/stats.dto.js';
import { Roles, RolesGuard } from './roles.guard.js';
import { Stats, StatsService } from './stats.service.js';
import { AdminUsageQueryDto, AdminUsageReportDto } from '../usage/dto/usage.dto.js';
import { BAD_PERIOD } from '../usage/usage.api-docs.js';
import { UsageService, type UsageReport } from '../usage/usage.service.js';

@ApiTags('admin')
@ApiCallerAuth()
@ApiProblemResponses(401, 403)
@Roles('admin')
@UseGuards(RolesGuard)
@Controller('api/v1/admin')
export class AdminController {
  constructor(
    private readonly stats: StatsService,
    private readonly usage: UsageService,
  ) {}

  /**
   * Service-wide figures.
   * @remarks Users, sessions, messages, and tokens used per provider and model (the CLI's `stats`). 403 for non-admins.
   */
  @Get('stats')
  @ApiOkResponse({ type: StatsDto, description: 'The figures.' })
  collect(): Promise<Stats> {
    return this.stats.collect();
  }

  /**
   * Token usage per user, or per user and day or provider and model.
   * @remarks Days are UTC. By default from the first of this month to today; at most 366 days. `group=day|model` splits each user's row as `GET /api/v1/me/usage` does. 403 for non-admins.
   */
  @Get('usage')
  @ApiProblemResponses(BAD_PERIOD)
  @ApiOkResponse({ type: AdminUsageReportDto, description: 'The usage per user.' })
  perUser(@Query() query: AdminUsageQueryDto): Promise<UsageReport> {
    return this.usage.perUser(this.usage.period(query.from, query.to), query.user, query.group);
  }
}
