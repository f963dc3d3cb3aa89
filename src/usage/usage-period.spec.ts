import { describe, expect, it } from '@jest/globals';
import { daysBetween, isIsoDay, monthStart, nextDayStart, nextMonthStart, utcDay } from './usage-period.js';

describe('usage periods (UTC)', () => {
  it('takes real calendar days written YYYY-MM-DD only', () => {
    for (const day of ['2024-02-29', '2026-12-31', '2026-01-01']) expect(isIsoDay(day)).toBe(true);
    for (const day of [
      '2026-02-29',
      '2026-02-30',
      '2026-13-01',
      '2026-1-01',
      '26-01-01',
      '2026-01-01T00:00:00Z',
      '',
    ])
      expect(isIsoDay(day)).toBe(false);
  });

  it('counts days between two days across months and leap years', () => {
    expect(daysBetween('2026-01-01', '2026-01-01')).toBe(0);
    expect(daysBetween('2024-01-01', '2025-01-01')).toBe(366);
    expect(daysBetween('2026-03-01', '2026-02-28')).toBe(-1);
  });

  it('finds the day, its month and the next windows in UTC whatever the instant', () => {
    const lateEvening = new Date('2026-12-31T23:59:59.999Z');
    expect(utcDay(lateEvening)).toBe('2026-12-31');
    expect(monthStart('2026-12-31')).toBe('2026-12-01');
    expect(nextDayStart(lateEvening).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(nextMonthStart(lateEvening).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(nextMonthStart(new Date('2026-01-31T12:00:00Z')).toISOString()).toBe('2026-02-01T00:00:00.000Z');
  });
});
