import { RequestValidationException } from './exceptions.js';

/** An opaque keyset cursor: the sort key of the last row of a page, as base64url JSON. */
export function encodeCursor(key: (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; anything else is a 400 naming `cursor`. */
export function decodeCursor<T extends (string | number)[]>(
  cursor: string,
  isValid: (key: unknown[]) => key is T,
): T {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || !isValid(key)) {
    throw new RequestValidationException([{ field: 'cursor', message: 'cursor is malformed' }]);
  }
  return key;
}

/** A timestamp as our cursors carry it, `2026-12-01T13:15:01.123456Z`, in years PostgreSQL reads (1–9999). */
const CURSOR_TIMESTAMP = /^(?!0000)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z$/;

/**
 * Whether a cursor's timestamp is one PostgreSQL accepts: of that form, and a real date and time
 * (JavaScript would roll February 30th over into March; PostgreSQL refuses it).
 */
export function isCursorTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || !CURSOR_TIMESTAMP.test(value)) return false;
  const time = Date.parse(value);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 19) === value.slice(0, 19);
}

const INT8_MAX = 2n ** 63n - 1n;

/** Whether a cursor's sequence number is a non-negative integer within PostgreSQL's `int8`. */
export function isInt8Text(value: unknown): value is string {
  return typeof value === 'string' && /^\d{1,19}$/.test(value) && BigInt(value) <= INT8_MAX;
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}
