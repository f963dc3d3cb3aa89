import { readEnvironment } from '../config/app-config.js';
import { SEARCH_LANGUAGE_NAME } from '../config/env.schema.js';

export const DEFAULT_SEARCH_LANGUAGE = 'simple';

/**
 * SEARCH_LANGUAGE as the environment (and `.env`) gives it, read when the entities are loaded: the
 * entities' generated columns are written in it (see {@link searchVectorSql}). A malformed value falls
 * back to the default here; the configuration's validation stops start-up with a message naming it.
 */
export function searchLanguageOf(env: Record<string, string | undefined> = readEnvironment()): string {
  const value = env.SEARCH_LANGUAGE;
  return value && SEARCH_LANGUAGE_NAME.test(value) ? value : DEFAULT_SEARCH_LANGUAGE;
}

export const SEARCH_LANGUAGE = searchLanguageOf();

/**
 * A searched table's generated `search_vector` column: `to_tsvector` of `source` in one fixed language.
 *
 * Why the language is part of the schema: a generated column (and an index expression) must be immutable,
 * so it names its text search configuration as a constant; a query finds a row only when it parses its
 * words with the same configuration (`english` stems "running" to "run", `simple` does not). So the columns
 * are built in the language SEARCH_LANGUAGE names: the migration builds them in it, the entities describe
 * them in it (so `migration:check` compares like with like), and when SEARCH_LANGUAGE changes the server
 * rebuilds them at start-up ({@link SearchLanguageSync}). The alternatives were worse: a column fixed to
 * `simple` searched with another configuration misses stemmed words; a configuration stored per row
 * (`to_tsvector(row.config, …)`) would mix languages in one ranking.
 */
export function searchVectorSql(source: string, language: string = SEARCH_LANGUAGE): string {
  if (!SEARCH_LANGUAGE_NAME.test(language))
    throw new Error(`Not a text search configuration name: ${language}`);
  return `to_tsvector('${language}'::regconfig, ${source})`;
}
