import { describe, expect, it } from '@jest/globals';
import { normalizeUsername } from './username.js';

describe('normalizeUsername (NFKC, as Django)', () => {
  it.each([
    ['fullwidth', 'ａｄｍｉｎ', 'admin'],
    ['a ligature', 'ﬁn', 'fin'],
    ['decomposed (NFD)', 'jose\u0301', 'jos\u00e9'],
    ['already normal', 'Ada_Lovelace+1@x.y', 'Ada_Lovelace+1@x.y'],
  ])('%s: %s → %s', (_, raw, normal) => {
    expect(normalizeUsername(raw)).toBe(normal);
  });
});
