import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { AuthUser, OwnQuotas } from '../auth/auth-user.js';
import { AppConfig } from '../config/app-config.js';
import { NO_QUOTA, User } from '../users/user.entity.js';
import { type BudgetName, QuotaExceededException } from './quota-exceeded.exception.js';
import { UsageDay } from './usage-day.entity.js';
import { monthStart, nextDayStart, nextMonthStart, utcDay } from './usage-period.js';

/** A user's own budget: a number of tokens, `none` (no limit) or `default` (the default limit again). */
export type QuotaSetting = number | 'none' | 'default';

/** One of a user's token budgets as it stands now. */
export interface Budget {
  name: BudgetName;
  /** Null: unlimited. */
  limit: number | null;
  used: number;
  /** Null: unlimited. */
  remaining: number | null;
  resetsAt: Date;
}

/** Tokens of today's rows, and of all the rows read (the month's). */
const USED_TODAY = 'COALESCE(SUM(d.prompt_tokens + d.completion_tokens) FILTER (WHERE d.day = :today), 0)';
const USED = 'COALESCE(SUM(d.prompt_tokens + d.completion_tokens), 0)';

interface BudgetRow {
  daily_quota: string | null;
  monthly_quota: string | null;
  used_today: string;
  used_month: string;
}

/**
 * Token budgets per UTC day and calendar month: the user's own (`set-quota`) or the defaults
 * (QUOTA_DAILY_TOKENS, QUOTA_MONTHLY_TOKENS). A turn is refused once a budget is used up; the answers
 * in flight when it was reached still count, so a budget is overrun by at most their tokens.
 */
@Injectable()
export class BudgetsService {
  constructor(
    private readonly config: AppConfig,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(UsageDay) private readonly days: Repository<UsageDay>,
  ) {}

  /**
   * The user's budgets now, in one query: the user's row by primary key and the month's usage rows of the
   * user, a range of the usage table's primary key (at most 31 days × the models used).
   */
  async budgetsOf(userId: string, now = new Date()): Promise<Budget[]> {
    const today = utcDay(now);
    const row = await this.users
      .createQueryBuilder('u')
      .leftJoin(UsageDay, 'd', 'd.user_id = u.id AND d.day >= :monthStart', { monthStart: monthStart(today) })
      .select('u.quota_daily_tokens', 'daily_quota')
      .addSelect('u.quota_monthly_tokens', 'monthly_quota')
      .addSelect(USED_TODAY, 'used_today')
      .addSelect(USED, 'used_month')
      .where('u.id = :userId', { userId, today })
      .groupBy('u.id')
      .getRawOne<BudgetRow>();
    return this.budgets({ daily: row?.daily_quota ?? null, monthly: row?.monthly_quota ?? null }, row, now);
  }

  /** The budgets of a user whose own settings are known: only the month's usage rows are read. */
  private async budgetsWith(userId: string, own: OwnQuotas, now: Date): Promise<Budget[]> {
    const today = utcDay(now);
    const used = await this.days
      .createQueryBuilder('d')
      .select(USED_TODAY, 'used_today')
      .addSelect(USED, 'used_month')
      .where('d.user_id = :userId AND d.day >= :monthStart', { userId, today, monthStart: monthStart(today) })
      .getRawOne<Pick<BudgetRow, 'used_today' | 'used_month'>>();
    return this.budgets(own, used, now);
  }

  private budgets(
    own: OwnQuotas,
    used: Pick<BudgetRow, 'used_today' | 'used_month'> | undefined,
    now: Date,
  ): Budget[] {
    const { dailyTokens, monthlyTokens } = this.config.quotas;
    return [
      budget('daily', limitOf(own.daily, dailyTokens), Number(used?.used_today ?? 0), nextDayStart(now)),
      budget(
        'monthly',
        limitOf(own.monthly, monthlyTokens),
        Number(used?.used_month ?? 0),
        nextMonthStart(now),
      ),
    ];
  }

  /** Sets a user's own budgets (those given). */
  async setQuotas(userId: string, quotas: { daily?: QuotaSetting; monthly?: QuotaSetting }): Promise<void> {
    const column = (setting: QuotaSetting): string | null =>
      setting === 'default' ? null : String(setting === 'none' ? NO_QUOTA : setting);
    await this.users.update(userId, {
      ...(quotas.daily === undefined ? {} : { quotaDailyTokens: column(quotas.daily) }),
      ...(quotas.monthly === undefined ? {} : { quotaMonthlyTokens: column(quotas.monthly) }),
    });
  }

  /**
   * Throws QuotaExceededException (429) when a budget of the caller is used up: the one that resets last.
   * A caller without any budget (their own settings, read with their account on this request, and the
   * defaults) costs no query.
   */
  async assertWithinBudgets(caller: AuthUser, now = new Date()): Promise<void> {
    const own = caller.quotas;
    const { dailyTokens, monthlyTokens } = this.config.quotas;
    if (own && limitOf(own.daily, dailyTokens) === null && limitOf(own.monthly, monthlyTokens) === null)
      return;
    const budgets = own ? await this.budgetsWith(caller.id, own, now) : await this.budgetsOf(caller.id, now);
    const spent = budgets
      .filter((b) => b.remaining === 0)
      .sort((a, b) => b.resetsAt.getTime() - a.resetsAt.getTime())[0];
    if (spent) throw new QuotaExceededException(spent.name, spent.limit ?? 0, spent.used, spent.resetsAt);
  }
}

/** The limit in force: the user's own (null: the default; {@link NO_QUOTA}: none), or the default. */
function limitOf(own: string | null | undefined, fallback: number | null): number | null {
  if (own === null || own === undefined) return fallback;
  const limit = Number(own);
  return limit === NO_QUOTA ? null : limit;
}

function budget(name: BudgetName, limit: number | null, used: number, resetsAt: Date): Budget {
  return { name, limit, used, remaining: limit === null ? null : Math.max(0, limit - used), resetsAt };
}
