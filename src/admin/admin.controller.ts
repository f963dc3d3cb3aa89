import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiCallerAuth } from '../common/decorators.js';
import { ApiProblemResponses } from '../common/api-errors.decorator.js';
import { StatsDto } from './dto/stats.dto.js';
import { Roles, RolesGuard } from './roles.guard.js';
import { Stats, StatsService } from './stats.service.js';

@ApiTags('admin')
@ApiCallerAuth()
@ApiProblemResponses(401, 403)
@Roles('admin')
@UseGuards(RolesGuard)
@Controller('api/v1/admin')
export class AdminController {
  constructor(private readonly stats: StatsService) {}

  /**
   * Service-wide figures.
   * @remarks Users, sessions, messages, and tokens used per provider and model (the CLI's `stats`). 403 for non-admins.
   */
  @Get('stats')
  @ApiOkResponse({ type: StatsDto, description: 'The figures.' })
  collect(): Promise<Stats> {
    return this.stats.collect();
  }
}
