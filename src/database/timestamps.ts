/**
 * A timestamptz as PostgreSQL writes it in text (DateStyle ISO, which `pg` itself relies on), in the
 * session's time zone: `2026-12-01 13:15:01.123456+00`, `… 14:15:01+01`, `… 18:45:01.5+05:30`.
 */
const TIMESTAMPTZ_TEXT =
  /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/;
/** The same text from a session in UTC, the usual case: checked without captures, then rearranged. */
const UTC_TIMESTAMPTZ_TEXT = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?\+00$/;
/** Where the fraction starts in that text (after `YYYY-MM-DD HH:MM:SS.`), and the length without one. */
const FRACTION_START = 20;
const WHOLE_SECONDS_LENGTH = 22;

/**
 * That text as ISO-8601 in UTC with `digits` of fractional seconds (truncated, as PostgreSQL's `to_char`
 * does), e.g. `2026-12-01T13:15:01.123Z`.
 */
export function isoFromTimestamptz(text: string, digits: 3 | 6 = 3): string {
  if (UTC_TIMESTAMPTZ_TEXT.test(text)) {
    // about a third of the general path's CPU, and a page of messages has 50 of these
    const fraction = text.length > WHOLE_SECONDS_LENGTH ? text.slice(FRACTION_START, -3) : '';
    return `${text.slice(0, 10)}T${text.slice(11, 19)}.${fractionOf(fraction, digits)}Z`;
  }
  const parts = TIMESTAMPTZ_TEXT.exec(text);
  if (!parts) throw new Error(`Unexpected timestamptz text from PostgreSQL: ${text.slice(0, 40)}`);
  const [, year, month, day, hour, minute, second, fraction = '', sign, offH, offM, offS] = parts;
  const offsetSeconds =
    (sign === '-' ? -1 : 1) * (Number(offH) * 3600 + Number(offM ?? 0) * 60 + Number(offS ?? 0));
  const utc =
    Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)) -
    offsetSeconds * 1000;
  // offsets are whole seconds, so the fraction is the same in UTC
  return `${new Date(utc).toISOString().slice(0, 19)}.${fractionOf(fraction, digits)}Z`;
}

function fractionOf(fraction: string, digits: number): string {
  return fraction.padEnd(digits, '0').slice(0, digits);
}
