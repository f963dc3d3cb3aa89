import type { MigrationInterface, QueryRunner } from 'typeorm';
import { buildSearchColumns, dropSearchColumns } from '../../search/search-columns.js';
import { SEARCH_LANGUAGE } from '../../search/search-language.js';

/**
 * Full-text search (`GET /api/v1/search`): a generated `search_vector` column, `to_tsvector` of the
 * content, on `messages`, and of the title on `chat_sessions`, each with a GIN index. Built in the
 * language SEARCH_LANGUAGE names when the migration runs (see `searchVectorSql` for why the language is
 * part of the schema); the server rebuilds the columns when it changes later.
 */
export class Search1795810000000 implements MigrationInterface {
  name = 'Search1795810000000';

  async up(q: QueryRunner): Promise<void> {
    await buildSearchColumns(q, SEARCH_LANGUAGE);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropSearchColumns(q);
  }
}
