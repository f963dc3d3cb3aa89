import { describe, expect, it } from '@jest/globals';
import { unstorableTextReason } from '../common/validation.js';
import { titleFrom } from './chat-turn.service.js';

describe('titleFrom', () => {
  it('keeps a short question whole, on one line', () => {
    expect(titleFrom('  Plan a weekend\n in   Lisbon ')).toBe('Plan a weekend in Lisbon');
    expect(titleFrom('x'.repeat(60))).toBe('x'.repeat(60));
  });

  it('cuts a long one to 59 characters and an ellipsis', () => {
    expect(titleFrom('x'.repeat(61))).toBe(`${'x'.repeat(59)}…`);
    expect(titleFrom('word '.repeat(20))).toBe(`${'word '.repeat(12).trimEnd()}…`);
  });

  it.each([
    ['a surrogate pair', '😀'],
    ['a ZWJ emoji sequence', '👩‍👩‍👧'],
    ['a flag', '🇵🇹'],
    ['a combining accent', 'e\u0301'],
  ])('never cuts inside %s at the cut point', (_name, grapheme) => {
    for (let before = 55; before <= 59; before += 1) {
      const title = titleFrom(`${'a'.repeat(before)}${grapheme}${'b'.repeat(20)}`);
      expect(title.length).toBeLessThanOrEqual(60);
      const kept = title.slice(0, -1);
      expect(kept === 'a'.repeat(before) || kept.startsWith(`${'a'.repeat(before)}${grapheme}`)).toBe(true);
      expect(unstorableTextReason(title)).toBeUndefined();
    }
  });
});
