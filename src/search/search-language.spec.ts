import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { ConfigValidationError, loadConfig } from '../config/app-config.js';
import { searchLanguageOf, searchVectorSql } from './search-language.js';

describe('SEARCH_LANGUAGE', () => {
  it('defaults to simple, unset or empty, and takes a configuration name', () => {
    expect(searchLanguageOf({})).toBe('simple');
    expect(searchLanguageOf({ SEARCH_LANGUAGE: '' })).toBe('simple');
    expect(searchLanguageOf({ SEARCH_LANGUAGE: 'english' })).toBe('english');
    expect(loadConfig({ SEARCH_LANGUAGE: 'german' }).searchLanguage).toBe('german');
    expect(loadConfig({}).searchLanguage).toBe('simple');
  });

  it.each(["english'; DROP TABLE messages; --", 'English', 'pg_catalog.english', '1english', 'a b'])(
    'refuses %j: the configuration stops start-up, the columns are never written with it',
    (name) => {
      expect(() => loadConfig({ SEARCH_LANGUAGE: name })).toThrow(ConfigValidationError);
      expect(() => loadConfig({ SEARCH_LANGUAGE: name })).toThrow(/SEARCH_LANGUAGE/);
      expect(searchLanguageOf({ SEARCH_LANGUAGE: name })).toBe('simple');
      expect(() => searchVectorSql('content', name)).toThrow();
    },
  );

  it('writes the column expression with the language as a constant regconfig', () => {
    expect(searchVectorSql('content', 'english')).toBe("to_tsvector('english'::regconfig, content)");
  });
});
