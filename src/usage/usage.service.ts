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

/** What a row of a group is of: a day, or a provider and model. */
type GroupColumns = { day: string } | { provider: string; model: string | null };

/** A row of a report: totals with what they are of (a day; a provider and model; a user; a user's day or model). */
export type UsageRow = UsageTotals &
  (GroupColumns | ({ user_id: string; username: string } & Partial<GroupColumns>));

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
    const query = grouped(this.inPeriod(period).andWhere('d.user_id = :userId', { userId }), group);
    const rows = (await query.getRawMany<RawRow>()).map((raw) => ({
      ...groupColumnsOf(raw, group),
      ...totalsOf(raw),
    }));
    return report(period, rows);
  }

  /**
   * Every user's usage in a period (or the one named `username`), by username: one row per user with
   * usage, or with `group` one per user and day, or per user, provider and model. One query of the
   * aggregate.
   */
  async perUser(period: UsagePeriod, username?: string, group?: UsageGroup): Promise<UsageReport> {
    const query = this.inPeriod(period)
      .innerJoin('d.user', 'u')
      .addSelect('u.id', 'user_id')
      .addSelect('u.username', 'username')
      .groupBy('u.id')
      .orderBy('u.username');
    if (group) grouped(query, group);
    if (username !== undefined)
      query.andWhere('lower(u.username) = lower(:username)', { username: normalizeUsername(username) });
    const rows = (await query.getRawMany<RawRow>()).map((raw) => ({
      user_id: raw.user_id as string,
      username: raw.username as string,
      ...(group ? groupColumnsOf(raw, group) : {}),
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

/** Groups a report's query (after any grouping it has) per day, or per provider and model, in that order. */
function grouped(query: SelectQueryBuilder<UsageDay>, group: UsageGroup): SelectQueryBuilder<UsageDay> {
  if (group === 'day') return query.addSelect('d.day::text', 'day').addGroupBy('d.day').addOrderBy('d.day');
  return query
    .addSelect('d.provider', 'provider')
    .addSelect('d.model', 'model')
    .addGroupBy('d.provider')
    .addGroupBy('d.model')
    .addOrderBy('d.provider')
    .addOrderBy('d.model');
}

function groupColumnsOf(raw: RawRow, group: UsageGroup): GroupColumns {
  return group === 'day'
    ? { day: raw.day as string }
    : { provider: raw.provider as string, model: raw.model || null };
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
