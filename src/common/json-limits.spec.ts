import { describe, expect, it } from '@jest/globals';
import { JSON_LIMITS, jsonLimitProblem } from './json-limits.js';

const check = (value: unknown) => jsonLimitProblem(Buffer.from(JSON.stringify(value)));
const nested = (levels: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
};
const objectOf = (keys: number) => Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, i]));

describe('jsonLimitProblem', () => {
  it('accepts ordinary bodies, scalars and values at each limit', () => {
    expect(check({ content: 'Hello, {[ "world" ]}, \\', parent_id: null, n: [1, 2, {}] })).toBeUndefined();
    expect(check('text')).toBeUndefined();
    expect(check(nested(JSON_LIMITS.depth))).toBeUndefined();
    expect(check(objectOf(JSON_LIMITS.keys))).toBeUndefined();
    expect(check({ items: new Array(JSON_LIMITS.values - 1).fill(0) })).toBeUndefined();
    expect(check({ text: '[{,'.repeat(20_000) })).toBeUndefined();
    expect(jsonLimitProblem(Buffer.from(''))).toBeUndefined();
  });

  it('names the excess: depth, keys of one object, values in all', () => {
    expect(check(nested(JSON_LIMITS.depth + 1))).toBe('The request body is nested more than 32 levels deep.');
    expect(check({ a: objectOf(JSON_LIMITS.keys + 1) })).toBe(
      'The request body has an object of more than 1000 keys.',
    );
    expect(check(new Array(JSON_LIMITS.values + 1).fill(0))).toBe(
      'The request body holds more than 10000 values.',
    );
    expect(check(Array.from({ length: 20 }, () => objectOf(600)))).toBe(
      'The request body holds more than 10000 values.',
    );
  });

  it('stops at the first excess of a body 100,000 levels deep', () => {
    expect(jsonLimitProblem(Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)))).toMatch(/nested more/);
  });
});
