import { describe, expect, it } from '@jest/globals';
import { isCursorTimestamp, isInt8Text } from './keyset-cursor.js';

describe('isCursorTimestamp', () => {
  it.each([
    '2026-12-01T13:15:01.123456Z',
    '2026-12-01T13:15:01Z',
    '0001-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999999Z',
  ])('accepts %s', (value) => expect(isCursorTimestamp(value)).toBe(true));

  it.each([
    '+275000-01-01T00:00:00.000Z', // Date.parse reads it; PostgreSQL does not
    '-271821-04-20T00:00:00.000Z',
    '0000-01-01T00:00:00.000Z', // PostgreSQL has no year 0
    '2026-02-30T00:00:00.000000Z', // JavaScript rolls it over into March
    '2026-12-01T24:00:00.000Z',
    '2026-12-01T13:15:01.1234567Z',
    '2026-12-01 13:15:01Z',
    '2026-12-01T13:15:01+01:00',
    'infinity',
    '0',
    '',
    42,
    null,
  ])('refuses %p', (value) => expect(isCursorTimestamp(value)).toBe(false));
});

describe('isInt8Text', () => {
  it.each(['0', '1', '9223372036854775807'])('accepts %s', (value) => expect(isInt8Text(value)).toBe(true));

  it.each(['9223372036854775808', '9999999999999999999', '-1', '1.5', '1e3', '', ' 1', 1, null])(
    'refuses %p',
    (value) => expect(isInt8Text(value)).toBe(false),
  );
});
