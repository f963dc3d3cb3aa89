/**
 * Bounds on the shape of a JSON request body, far above anything a chat client sends. A 1 MiB body nested
 * thousands deep overflows class-transformer's recursion (a 500); one of 100,000 keys costs 0.1-0.2 s in
 * JSON.parse alone, and one of 500,000 small values up to two seconds in validation.
 */
export const JSON_LIMITS = {
  /** nested objects and arrays, the body itself being level 1 */
  depth: 32,
  /** members of one object */
  keys: 1_000,
  /** array items and object members in the whole body */
  values: 10_000,
} as const;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * Why the JSON text `body` exceeds JSON_LIMITS, or undefined when it does not: one pass over its bytes
 * (about a millisecond per MiB), before it is parsed. Multi-byte UTF-8 never contains these ASCII bytes,
 * so strings are skipped by their quotes and escapes alone. Malformed JSON is left to the parser.
 */
export function jsonLimitProblem(body: Uint8Array): string | undefined {
  // Per open container: -1 for an array, else the commas seen so far in the object.
  const open: number[] = [];
  // Each container counts as its first member and each comma as one more: the members of non-empty ones.
  let values = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (open.length === JSON_LIMITS.depth)
        return `The request body is nested more than ${JSON_LIMITS.depth} levels deep.`;
      open.push(byte === OPEN_ARRAY ? -1 : 0);
      values++;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      open.pop();
    } else if (byte === COMMA) {
      const top = open.length - 1;
      if (top >= 0 && open[top] >= 0 && ++open[top] >= JSON_LIMITS.keys)
        return `The request body has an object of more than ${JSON_LIMITS.keys} keys.`;
      values++;
    } else {
      continue;
    }
    if (values > JSON_LIMITS.values) return `The request body holds more than ${JSON_LIMITS.values} values.`;
  }
  return undefined;
}
