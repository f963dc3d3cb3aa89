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

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}
