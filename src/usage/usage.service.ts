import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, type SelectQueryBuilder } from 'typeorm';
import { RequestValidationException } from '../common/exceptions.js';
import { normalizeUsername } from '../users/username.js';
import { UsageDay } from './usage-day.entity.js';
import { daysBetween, monthStart, utcDay } from './usage-period.js';

/** The widest period a report covers: `to` at most this many days after `from`. */
export const MAX_PERIOD_DAYS = 366;

export type UsageGroup = 'day' | 'model';

/** Inclusive UTC days. */
export interface UsagePeriod {
  from: string;
  to: string;
}

export interface UsageTotals {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  answers: number;
  failures: number;
}

/** A row of a report: totals with what they are of (a day; a provider and model; a user). */
export type UsageRow = UsageTotals &
  ({ day: string } | { provider: string; model: string | null } | { user_id: string; username: string });

export interface UsageReport {
  from: string;
  to: string;
  totals: UsageTotals;
  data: UsageRow[];
}

type RawRow = Record<string, string | null>;

const SUMS: [string, keyof UsageTotals][] = [
  ['SUM(d.prompt_tokens)', 'prompt_tokens'],
  ['SUM(d.completion_tokens)', 'completion_tokens'],
  ['SUM(d.answers)', 'answers'],
  ['SUM(d.failures)', 'failures'],
];

/**
 * Usage reports read from the daily aggregate (`usage_days`), never from the messages: a user's month
 * is at most 31 rows per model, whatever their message count.
 */
@Injectable()
export class UsageService {
  constructor(@InjectRepository(UsageDay) private readonly days: Repository<UsageDay>) {}

  /** The period a report covers: by default, from the first of the current UTC month to today. 400 naming the field. */
  period(from: string | undefined, to: string | undefined, now = new Date()): UsagePeriod {
    const last = to ?? utcDay(now);
    const first = from ?? monthStart(to ?? utcDay(now));
    const span = daysBetween(first, last);
    if (span < 0) throw invalid(from === undefined ? 'to' : 'from', 'from must not be after to');
    if (span > MAX_PERIOD_DAYS)
      throw invalid(
        from === undefined ? 'to' : 'from',
        `from and to must be at most ${MAX_PERIOD_DAYS} days apart`,
      );
    return { from: first, to: last };
  }

  /** One user's usage in a period, per day or per provider and model. */
  async ofUser(userId: string, period: UsagePeriod, group: UsageGroup): Promise<UsageReport> {
    const query = this.inPeriod(period).andWhere('d.user_id = :userId', { userId });
    if (group === 'day') query.addSelect('d.day::text', 'day').groupBy('d.day').orderBy('d.day');
    else
      query
        .addSelect('d.provider', 'provider')
        .addSelect('d.model', 'model')
        .groupBy('d.provider')
        .addGroupBy('d.model')
        .orderBy('d.provider')
        .addOrderBy('d.model');
    const rows = (await query.getRawMany<RawRow>()).map((raw) =>
      group === 'day'
        ? { day: raw.day as string, ...totalsOf(raw) }
        : { provider: raw.provider as string, model: raw.model || null, ...totalsOf(raw) },
    );
    return report(period, rows);
  }

  /** Every user's usage in a period (or the one named `username`), one row per user with usage, by username. */
  async perUser(period: UsagePeriod, username?: string): Promise<UsageReport> {
    const query = this.inPeriod(period)
      .innerJoin('d.user', 'u')
      .addSelect('u.id', 'user_id')
      .addSelect('u.username', 'username')
      .groupBy('u.id')
      .orderBy('u.username');
    if (username !== undefined)
      query.andWhere('lower(u.username) = lower(:username)', { username: normalizeUsername(username) });
    const rows = (await query.getRawMany<RawRow>()).map((raw) => ({
      user_id: raw.user_id as string,
      username: raw.username as string,
      ...totalsOf(raw),
    }));
    return report(period, rows);
  }

  private inPeriod({ from, to }: UsagePeriod): SelectQueryBuilder<UsageDay> {
    const query = this.days.createQueryBuilder('d');
    SUMS.forEach(([sum, alias], i) => (i === 0 ? query.select(sum, alias) : query.addSelect(sum, alias)));
    return query.where('d.day BETWEEN :from AND :to', { from, to });
  }
}

function totalsOf(raw: RawRow): UsageTotals {
  const prompt = Number(raw.prompt_tokens ?? 0);
  const completion = Number(raw.completion_tokens ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    answers: Number(raw.answers ?? 0),
    failures: Number(raw.failures ?? 0),
  };
}

function report(period: UsagePeriod, data: UsageRow[]): UsageReport {
  const totals: UsageTotals = {
    prompt_tokens: 0,
    completion_tokens: 0,
    total_tokens: 0,
    answers: 0,
    failures: 0,
  };
  for (const row of data)
    for (const key of Object.keys(totals) as (keyof UsageTotals)[]) totals[key] += row[key];
  return { ...period, totals, data };
}

function invalid(field: string, message: string): RequestValidationException {
  return new RequestValidationException([{ field, message }]);
}
