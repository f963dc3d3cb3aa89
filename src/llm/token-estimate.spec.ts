import { describe, expect, it } from '@jest/globals';
import { estimatePromptTokens, estimateTextTokens, estimateTokens } from './token-estimate.js';

describe('token estimates', () => {
  it('counts a token per four characters, rounded up', () => {
    expect([estimateTextTokens(''), estimateTextTokens('abcd'), estimateTextTokens('abcde')]).toEqual([
      0, 1, 2,
    ]);
  });

  it('adds a per-message overhead', () => {
    expect(estimateTokens('abcde')).toBe(6);
  });

  it('sums the system prompt and the messages', () => {
    const messages = [
      { role: 'user' as const, content: 'abcd' },
      { role: 'assistant' as const, content: 'abcdefgh' },
    ];
    expect(estimatePromptTokens(undefined, messages)).toBe(5 + 6);
    expect(estimatePromptTokens('abcd', messages)).toBe(5 + 5 + 6);
  });
});
