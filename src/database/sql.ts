import { Injectable } from '@nestjs/common';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/** A named SQL statement: PostgreSQL parses and plans it once per pooled connection. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/** PostgreSQL's SQLSTATE for a foreign key violation (the row referred to is gone). */
export const FOREIGN_KEY_VIOLATION = '23503';

export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The hot paths' queries: prepared statements run on TypeORM's own `pg` pool, without the query
 * builder, entity hydration or query runner bookkeeping that cost more CPU than the query itself.
 * Rows come back as `pg` parses them (timestamptz as Date, bigint as string).
 */
@Injectable()
export class Sql {
  constructor(private readonly dataSource: DataSource) {}

  async rows<Row extends QueryResultRow>(statement: Statement, values: unknown[]): Promise<Row[]> {
    const result = await this.pool.query<Row>({ name: statement.name, text: statement.text, values });
    return result.rows;
  }

  private get pool(): Pool {
    return (this.dataSource.driver as PostgresDriver).master as Pool;
  }
}
