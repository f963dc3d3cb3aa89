import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, ValidateBy } from 'class-validator';
import { ApiDateTime, ApiUuid } from '../../common/api-property-formats.js';
import { UserDto } from '../../auth/dto/auth.dto.js';
import type { Budget } from '../budgets.service.js';
import { isIsoDay } from '../usage-period.js';

/** A calendar day written `YYYY-MM-DD`. */
const IsoDay = (): PropertyDecorator =>
  ValidateBy({
    name: 'isIsoDay',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isIsoDay(value),
      defaultMessage: (args) => `${args?.property} must be a date written YYYY-MM-DD (UTC)`,
    },
  });

const ISO_DAY = { format: 'date', example: '2026-12-01' } as const;

export class UsagePeriodQueryDto {
  /** The first day (UTC), `YYYY-MM-DD`; by default the first of the month of `to`. */
  @IsOptional()
  @IsoDay()
  @ApiProperty({ ...ISO_DAY, required: false })
  from?: string;

  /** The last day (UTC), included, at most 366 days after `from`; by default today. */
  @IsOptional()
  @IsoDay()
  @ApiProperty({ ...ISO_DAY, required: false })
  to?: string;
}

export class MyUsageQueryDto extends UsagePeriodQueryDto {
  /** `day` (the default): a row per day with usage; `model`: a row per provider and model. */
  @IsOptional()
  @IsIn(['day', 'model'])
  group?: 'day' | 'model';
}

export class AdminUsageQueryDto extends UsagePeriodQueryDto {
  /**
   * Without it (the default): a row per user with usage. `day`: a row per user and day with usage;
   * `model`: a row per user, provider and model.
   */
  @IsOptional()
  @IsIn(['day', 'model'])
  group?: 'day' | 'model';

  /** Only this user (a username, compared as logins compare it). */
  @IsOptional()
  @IsString()
  user?: string;
}

/** Tokens, answers and failures. */
export class UsageTotalsDto {
  prompt_tokens!: number;
  completion_tokens!: number;
  /** prompt + completion */
  total_tokens!: number;
  /** Answers finished (complete or failed). */
  answers!: number;
  /** Answers that failed (their tokens count when the provider reported them). */
  failures!: number;
}

/** The usage of one day (`group=day`) or of one provider and model (`group=model`). */
export class UsageRowDto extends UsageTotalsDto {
  /** With `group=day`: the UTC day. */
  @ApiProperty({ ...ISO_DAY, required: false })
  day?: string;

  /** With `group=model`. @example "openai" */
  provider?: string;

  /** With `group=model`; null when the answers named none. @example "gpt-4o" */
  @ApiProperty({ type: String, nullable: true, required: false, example: 'gpt-4o' })
  model?: string | null;
}

export class UsageReportDto {
  @ApiProperty(ISO_DAY)
  from!: string;

  @ApiProperty(ISO_DAY)
  to!: string;

  /** The whole period. */
  totals!: UsageTotalsDto;

  /** Oldest day first, or by provider then model; days and models without usage are left out. */
  data!: UsageRowDto[];
}

/**
 * One user's usage in the period; with `group=day`, on one day (`day`); with `group=model`, of one
 * provider and model (`provider`, `model`).
 */
export class UserUsageRowDto extends UsageRowDto {
  @ApiUuid()
  user_id!: string;

  username!: string;
}

export class AdminUsageReportDto {
  @ApiProperty(ISO_DAY)
  from!: string;

  @ApiProperty(ISO_DAY)
  to!: string;

  /** Every user's in the period (or the one `user` named). */
  totals!: UsageTotalsDto;

  /**
   * By username: one row per user with usage in the period; with `group=day`, per user and day (oldest
   * first); with `group=model`, per user, provider and model. Days and models without usage are left out.
   */
  data!: UserUsageRowDto[];
}

/** A token budget as it stands. */
export class BudgetDto {
  /** Tokens (prompt + completion) it allows; null: unlimited. */
  @ApiProperty({ type: Number, nullable: true, example: 100000 })
  limit!: number | null;

  /** Tokens used in the current window. */
  used!: number;

  /** Tokens left; null: unlimited. A turn is refused (429) at 0. */
  @ApiProperty({ type: Number, nullable: true, example: 58000 })
  remaining!: number | null;

  /** When the window starts again (UTC midnight, or the first of next month). */
  @ApiDateTime()
  resets_at!: string;

  static from(budget: Budget): BudgetDto {
    return {
      limit: budget.limit,
      used: budget.used,
      remaining: budget.remaining,
      resets_at: budget.resetsAt.toISOString(),
    };
  }
}

export class BudgetsDto {
  /** Per UTC day. */
  daily!: BudgetDto;
  /** Per UTC calendar month. */
  monthly!: BudgetDto;
}

/** The caller's account with its token budgets. */
export class MeDto extends UserDto {
  budgets!: BudgetsDto;
}
