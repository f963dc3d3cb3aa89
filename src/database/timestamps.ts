/**
 * A timestamptz as PostgreSQL writes it in text (DateStyle ISO, which `pg` itself relies on), in the
 * session's time zone: `2026-12-01 13:15:01.123456+00`, `… 14:15:01+01`, `… 18:45:01.5+05:30`.
 */
const TIMESTAMPTZ_TEXT =
  /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/;

/**
 * That text as ISO-8601 in UTC with `digits` of fractional seconds (truncated, as PostgreSQL's `to_char`
 * does), e.g. `2026-12-01T13:15:01.123Z`.
 */
export function isoFromTimestamptz(text: string, digits: 3 | 6 = 3): string {
  const parts = TIMESTAMPTZ_TEXT.exec(text);
  if (!parts) throw new Error(`Unexpected timestamptz text from PostgreSQL: ${text.slice(0, 40)}`);
  const [, year, month, day, hour, minute, second, fraction = '', sign, offH, offM, offS] = parts;
  const fractional = fraction.padEnd(6, '0').slice(0, digits);
  if (offH === '00' && offM === undefined) {
    return `${year}-${month}-${day}T${hour}:${minute}:${second}.${fractional}Z`; // a UTC session: as written
  }
  const offsetSeconds =
    (sign === '-' ? -1 : 1) * (Number(offH) * 3600 + Number(offM ?? 0) * 60 + Number(offS ?? 0));
  const utc =
    Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)) -
    offsetSeconds * 1000;
  return `${new Date(utc).toISOString().slice(0, 19)}.${fractional}Z`; // offsets are whole seconds
}
