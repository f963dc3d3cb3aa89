import { isoFromTimestamptz } from './timestamps.js';

describe('isoFromTimestamptz', () => {
  it('writes a UTC session’s text as ISO-8601, milliseconds truncated', () => {
    expect(isoFromTimestamptz('2026-12-01 13:15:01.123956+00')).toBe('2026-12-01T13:15:01.123Z');
    expect(isoFromTimestamptz('2026-12-01 13:15:01+00')).toBe('2026-12-01T13:15:01.000Z');
    expect(isoFromTimestamptz('2026-12-01 13:15:01.5+00')).toBe('2026-12-01T13:15:01.500Z');
  });

  it('keeps microseconds when asked', () => {
    expect(isoFromTimestamptz('2026-12-01 13:15:01.123956+00', 6)).toBe('2026-12-01T13:15:01.123956Z');
    expect(isoFromTimestamptz('2026-12-01 13:15:01.01+00', 6)).toBe('2026-12-01T13:15:01.010000Z');
  });

  it('converts other sessions’ time zones to UTC, across a day boundary', () => {
    expect(isoFromTimestamptz('2026-12-02 00:15:01.25+01')).toBe('2026-12-01T23:15:01.250Z');
    expect(isoFromTimestamptz('2026-12-01 18:45:01.123456+05:30', 6)).toBe('2026-12-01T13:15:01.123456Z');
    expect(isoFromTimestamptz('2026-11-30 20:00:00-08')).toBe('2026-12-01T04:00:00.000Z');
    expect(isoFromTimestamptz('1890-01-01 00:00:00+00:09:21')).toBe('1889-12-31T23:50:39.000Z');
  });

  it('agrees with Date for any instant, whatever the fraction’s digits and the zone', () => {
    let seed = 20261201; // a fixed linear congruential sequence: the same 500 cases on every run
    const next = (bound: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % bound;
    };
    for (let i = 0; i < 500; i++) {
      const millis = next(2 ** 31) * 1910 + next(1910); // 1970 to 2100
      const micros = String(millis % 1000).padStart(3, '0') + String(next(1000)).padStart(3, '0');
      const fraction = micros.slice(0, 1 + (i % 6)).replace(/0+$/, ''); // PostgreSQL drops trailing zeros
      const offsetMinutes = i % 3 === 0 ? 0 : (i % 3 === 1 ? 1 : -1) * (30 + next(690)); // +00, east, west
      const local = new Date(millis + offsetMinutes * 60_000).toISOString();
      const [sign, abs] = [offsetMinutes < 0 ? '-' : '+', Math.abs(offsetMinutes)];
      const zone =
        offsetMinutes === 0
          ? '+00'
          : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
      const text = `${local.slice(0, 10)} ${local.slice(11, 19)}${fraction ? `.${fraction}` : ''}${zone}`;
      const expected = `${new Date(millis).toISOString().slice(0, 19)}.${fraction.padEnd(6, '0')}`;
      expect(isoFromTimestamptz(text, 6)).toBe(`${expected}Z`);
      expect(isoFromTimestamptz(text)).toBe(`${expected.slice(0, -3)}Z`);
    }
  });

  it('refuses text it cannot read, rather than return a wrong time', () => {
    expect(() => isoFromTimestamptz('12/01/2026 13:15:01.123 UTC')).toThrow(/Unexpected timestamptz/);
    expect(() => isoFromTimestamptz('infinity')).toThrow(/Unexpected timestamptz/);
    expect(() => isoFromTimestamptz('2026-12-01 13:15:01.1234567+00')).toThrow(/Unexpected timestamptz/);
    expect(() => isoFromTimestamptz('2026-12-01 13:15:01+00 BC')).toThrow(/Unexpected timestamptz/);
    expect(() => isoFromTimestamptz('2026-12-01 13:15:0x+00')).toThrow(/Unexpected timestamptz/);
  });
});
