import type { QueryRunner } from 'typeorm';
import { searchVectorSql } from './search-language.js';

/** The tables search reads, the text each one's `search_vector` is made of, and its GIN index. */
export const SEARCHED_TABLES = [
  { table: 'messages', source: 'content', index: 'messages_search_idx' },
  { table: 'chat_sessions', source: 'title', index: 'chat_sessions_search_idx' },
] as const;

/** The expression of a searched table's column in a language, as the entities declare it. */
export function searchVectorOf(table: (typeof SEARCHED_TABLES)[number]['table'], language?: string): string {
  const { source } = SEARCHED_TABLES.find((t) => t.table === table) as (typeof SEARCHED_TABLES)[number];
  return searchVectorSql(source, language);
}

/**
 * (Re)builds every searched table's `search_vector` column and GIN index in `language`, in the caller's
 * transaction. The column's expression is also recorded in `typeorm_metadata`, where TypeORM reads a
 * generated column's expression back (PostgreSQL's own text of it is formatted differently), so that
 * `migration:check` compares it with the entity's. A configuration this database lacks is an error
 * naming SEARCH_LANGUAGE.
 */
export async function buildSearchColumns(q: QueryRunner, language: string): Promise<void> {
  const [{ known }] = (await q.query(
    `SELECT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = $1) AS known`,
    [language],
  )) as { known: boolean }[];
  if (!known) {
    throw new Error(
      `SEARCH_LANGUAGE: this database has no text search configuration "${language}" ` +
        `(SELECT cfgname FROM pg_ts_config lists those it has)`,
    );
  }
  for (const { table, index } of SEARCHED_TABLES) {
    const expression = searchVectorOf(table, language);
    await q.query(`DROP INDEX IF EXISTS ${index}`);
    await q.query(`ALTER TABLE ${table} DROP COLUMN IF EXISTS search_vector`);
    await q.query(
      `ALTER TABLE ${table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (${expression}) STORED`,
    );
    await q.query(`CREATE INDEX ${index} ON ${table} USING gin (search_vector)`);
    await forgetExpression(q, table);
    await q.query(
      `INSERT INTO typeorm_metadata (database, schema, "table", type, name, value)
       VALUES (current_database(), current_schema(), $1, 'GENERATED_COLUMN', 'search_vector', $2)`,
      [table, expression],
    );
  }
}

/** Removes a table's `search_vector` expression from `typeorm_metadata`. */
async function forgetExpression(q: QueryRunner, table: string): Promise<void> {
  await q.query(
    `DELETE FROM typeorm_metadata
      WHERE type = 'GENERATED_COLUMN' AND "table" = $1 AND name = 'search_vector' AND schema = current_schema()`,
    [table],
  );
}

/** Drops what {@link buildSearchColumns} made. */
export async function dropSearchColumns(q: QueryRunner): Promise<void> {
  for (const { table, index } of SEARCHED_TABLES) {
    await q.query(`DROP INDEX IF EXISTS ${index}`);
    await q.query(`ALTER TABLE ${table} DROP COLUMN IF EXISTS search_vector`);
    await forgetExpression(q, table);
  }
}

/**
 * The expression the `messages` column was last built with (from `typeorm_metadata`), or null when
 * there is none yet (the migration has not run).
 */
export async function builtSearchVector(q: QueryRunner): Promise<string | null> {
  const rows = (await q.query(
    `SELECT value FROM typeorm_metadata
      WHERE type = 'GENERATED_COLUMN' AND "table" = 'messages' AND name = 'search_vector'
        AND schema = current_schema()`,
  )) as { value: string }[];
  return rows[0]?.value ?? null;
}
