import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles, RolesGuard } from './roles.guard.js';
import { Stats, StatsService } from './stats.service.js';

@ApiTags('admin')
@ApiBearerAuth('bearer')
@Roles('admin')
@UseGuards(RolesGuard)
@Controller('api/v1/admin')
export class AdminController {
  constructor(private readonly stats: StatsService) {}

  /** Users, sessions, messages, and tokens used per provider and model (the CLI's `stats`). 403 for non-admins. */
  @Get('stats')
  collect(): Promise<Stats> {
    return this.stats.collect();
  }
}
