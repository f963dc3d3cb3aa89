import { describe, expect, it } from '@jest/globals';
import { bareTitle, cleanTitle, clipGraphemes } from './session-title.js';

describe('cleanTitle', () => {
  it.each([
    ['Weekend in Lisbon', 'Weekend in Lisbon'],
    ['  "Weekend in Lisbon."  ', 'Weekend in Lisbon'],
    ['“Weekend in Lisbon”.', 'Weekend in Lisbon'],
    ['Title: Weekend in Lisbon', 'Weekend in Lisbon'],
    ['**Title:** *Weekend in Lisbon*', 'Weekend in Lisbon'],
    ['Weekend in Lisbon\n\nI chose this because…', 'Weekend in Lisbon'],
    ['\n\nWeekend in Lisbon', 'Weekend in Lisbon'],
    ['<think>The user wants a trip.\nShort.</think>\nWeekend in Lisbon', 'Weekend in Lisbon'],
    ['What Is My Name?', 'What Is My Name?'],
    ['one two three four five six seven eight', 'one two three four five six'],
    ['one, two, three, four, five, six, seven', 'one, two, three, four, five, six'],
    ['Null\u0000 byte and a lone \uD800 surrogate', 'Null byte and a lone surrogate'],
  ])('%j → %j', (raw, title) => {
    expect(cleanTitle(raw)).toBe(title);
  });

  it('is empty when the model gave nothing usable', () => {
    for (const raw of ['', '   \n ', '""', '<think>only thoughts</think>', '...'])
      expect(cleanTitle(raw)).toBe('');
  });

  it('cuts six long words to 60 characters between graphemes', () => {
    const title = cleanTitle(`${'a'.repeat(30)} ${'b'.repeat(26)}👩‍👩‍👧 c d`);
    expect(title).toBe(`${'a'.repeat(30)} ${'b'.repeat(26)}…`);
    expect(title.length).toBeLessThanOrEqual(60);
  });
});

describe('bareTitle', () => {
  it('drops quotes and a final period, keeps a question mark', () => {
    expect(bareTitle('"My name is Ada."')).toBe('My name is Ada');
    expect(bareTitle('What is my name?')).toBe('What is my name?');
  });
});

describe('clipGraphemes', () => {
  it('keeps a short text whole and never splits a grapheme', () => {
    expect(clipGraphemes('short', 10)).toBe('short');
    expect(clipGraphemes('ab😀cd', 3)).toBe('ab');
    expect(clipGraphemes('ab😀cd', 4)).toBe('ab😀');
  });
});
