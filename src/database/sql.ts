import { Injectable } from '@nestjs/common';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/** A named SQL statement: PostgreSQL parses and plans it once per pooled connection. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/**
 * A timestamptz column as the API shows it: ISO-8601 in UTC to the millisecond, formatted by PostgreSQL
 * (parsing into a Date and formatting it back took a tenth of a session page's CPU).
 */
export const isoTimestamp = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** PostgreSQL's SQLSTATE for a foreign key violation (the row referred to is gone). */
export const FOREIGN_KEY_VIOLATION = '23503';

export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The hot paths' queries: prepared statements run on TypeORM's own `pg` pool, without the query
 * builder, entity hydration or query runner bookkeeping that cost more CPU than the query itself.
 * Rows come back as `pg` parses them (bigint as string); select timestamps with {@link isoTimestamp}.
 */
@Injectable()
export class Sql {
  constructor(private readonly dataSource: DataSource) {}

  async rows<Row extends QueryResultRow>(statement: Statement, values: unknown[]): Promise<Row[]> {
    const result = await this.pool.query<Row>({ name: statement.name, text: statement.text, values });
    return result.rows;
  }

  /** A statement built at run time (not prepared): for the rarer queries whose text varies. */
  async adHoc<Row extends QueryResultRow>(text: string, values: unknown[]): Promise<Row[]> {
    const result = await this.pool.query<Row>(text, values);
    return result.rows;
  }

  private get pool(): Pool {
    return (this.dataSource.driver as PostgresDriver).master as Pool;
  }
}
