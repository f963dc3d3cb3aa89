import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { AuthenticationFailedException } from '../auth/auth.exceptions.js';
import { UserDto } from '../auth/dto/auth.dto.js';
import { ApiProblemResponses } from '../common/api-errors.decorator.js';
import { BAD_PERIOD } from './usage.api-docs.js';
import { ApiCallerAuth, CurrentUser } from '../common/decorators.js';
import { UsersService } from '../users/users.service.js';
import { BudgetsService } from './budgets.service.js';
import { BudgetDto, MeDto, MyUsageQueryDto, UsageReportDto } from './dto/usage.dto.js';
import { UsageService, type UsageReport } from './usage.service.js';

@ApiTags('usage')
@ApiCallerAuth()
@ApiProblemResponses(401)
@Controller('api/v1/me')
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly budgets: BudgetsService,
    private readonly usage: UsageService,
  ) {}

  /**
   * The caller's account and token budgets.
   * @remarks Each budget's limit (null: unlimited), what the current window used, what is left, and when it resets.
   */
  @Get()
  async me(@CurrentUser() caller: AuthUser): Promise<MeDto> {
    const [user, budgets] = await Promise.all([
      this.users.findById(caller.id),
      this.budgets.budgetsOf(caller.id),
    ]);
    if (!user) throw new AuthenticationFailedException('invalid');
    const [daily, monthly] = budgets.map((b) => BudgetDto.from(b));
    return { ...UserDto.from(user), budgets: { daily, monthly } };
  }

  /**
   * The caller's token usage, per day or per provider and model.
   * @remarks Days are UTC. By default from the first of this month to today; at most 366 days.
   */
  @Get('usage')
  @ApiProblemResponses(BAD_PERIOD)
  @ApiOkResponse({ type: UsageReportDto, description: 'The usage.' })
  myUsage(@CurrentUser() caller: AuthUser, @Query() query: MyUsageQueryDto): Promise<UsageReport> {
    return this.usage.ofUser(caller.id, this.usage.period(query.from, query.to), query.group ?? 'day');
  }
}
