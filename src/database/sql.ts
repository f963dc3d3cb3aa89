import { Injectable } from '@nestjs/common';
import { DatabaseError, type Pool, type PoolClient, type QueryConfig, type QueryResultRow } from 'pg';
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

/**
 * The hot paths' queries: prepared statements run on TypeORM's own `pg` pool, without the query
 * builder, entity hydration or query runner bookkeeping that cost more CPU than the query itself.
 * Rows come back as `pg` parses them (bigint as string); select timestamps with {@link isoTimestamp}.
 */
@Injectable()
export class Sql {
  /** Connections this class has used: their prepared statements are the ones `pg` knows of. */
  private readonly known = new WeakSet<PoolClient>();

  constructor(private readonly dataSource: DataSource) {}

  rows<Row extends QueryResultRow>(statement: Statement, values: unknown[]): Promise<Row[]> {
    return this.run<Row>({ name: statement.name, text: statement.text, values });
  }

  /** A statement built at run time (not prepared): for the rarer queries whose text varies. */
  adHoc<Row extends QueryResultRow>(text: string, values: unknown[]): Promise<Row[]> {
    return this.run<Row>({ text, values });
  }

  /**
   * Not `pool.query`: that discards the connection on any error, a constraint violation included, and
   * the embedded database's single session would then meet its own prepared statements again on the
   * next connection ("prepared statement … already exists"). Here a connection is discarded only when
   * the error did not come from the server. Callbacks, not pg's promises: measurably less CPU per query.
   */
  private run<Row extends QueryResultRow>(query: QueryConfig): Promise<Row[]> {
    return new Promise((resolve, reject) => {
      this.pool.connect((connectError, client, release) => {
        if (connectError || !client) return reject(connectError ?? new Error('No database connection'));
        const execute = () =>
          client.query<Row>(query, (error, result) => {
            release(error && !(error instanceof DatabaseError) ? error : undefined);
            if (error) reject(error);
            else resolve(result.rows);
          });
        if (this.known.has(client)) return execute();
        // `pg` takes a new connection to have no statements prepared. The embedded database's single
        // session outlives a reconnection, so first forget whatever an earlier connection prepared.
        this.known.add(client);
        client.query('DEALLOCATE ALL', execute);
      });
    });
  }

  private get pool(): Pool {
    return (this.dataSource.driver as PostgresDriver).master as Pool;
  }
}
