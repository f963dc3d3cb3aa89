import { Injectable } from '@nestjs/common';
import {
  type CustomTypesConfig,
  DatabaseError,
  type Pool,
  type PoolClient,
  type QueryConfig,
  type QueryResultRow,
  types,
} from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { isoFromTimestamptz } from './timestamps.js';

/** A named SQL statement: PostgreSQL parses and plans it once per pooled connection. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/**
 * timestamptz values come back as the API shows them, ISO-8601 in UTC to the millisecond, formatted from
 * PostgreSQL's text: pg's Date, formatted back, took a tenth of a session page's CPU, and `to_char` in the
 * query (about 3 µs a value on PostgreSQL 15) half of a session list's database time. Every other type is
 * parsed as `pg` does.
 */
const isoMillis = (text: string): string => isoFromTimestamptz(text);
const HOT_PATH_TYPES: CustomTypesConfig = {
  getTypeParser: (oid, format) =>
    oid === types.builtins.TIMESTAMPTZ // text: these queries never ask for binary results
      ? isoMillis
      : (types.getTypeParser(oid, format) as (value: string) => unknown),
};

/**
 * The hot paths' queries: prepared statements run on TypeORM's own `pg` pool, without the query
 * builder, entity hydration or query runner bookkeeping that cost more CPU than the query itself.
 * Rows come back as `pg` parses them (bigint as string), timestamptz as ISO-8601 strings ({@link HOT_PATH_TYPES}).
 */
@Injectable()
export class Sql {
  /** Connections this class has used: their prepared statements are the ones `pg` knows of. */
  private readonly known = new WeakSet<PoolClient>();

  constructor(private readonly dataSource: DataSource) {}

  rows<Row extends QueryResultRow>(statement: Statement, values: unknown[]): Promise<Row[]> {
    return this.run<Row>({ name: statement.name, text: statement.text, values, types: HOT_PATH_TYPES });
  }

  /** A statement built at run time (not prepared): for the rarer queries whose text varies. */
  adHoc<Row extends QueryResultRow>(text: string, values: unknown[]): Promise<Row[]> {
    return this.run<Row>({ text, values, types: HOT_PATH_TYPES });
  }

  /**
   * Not `pool.query`: that discards the connection on any error, a constraint violation included, and
   * the embedded database's single session would then meet its own prepared statements again on the
   * next connection ("prepared statement … already exists"). Here a connection is discarded only when
   * the error is the connection's own (see {@link brokenBy}). Callbacks, not pg's promises: measurably
   * less CPU per query.
   */
  private run<Row extends QueryResultRow>(query: QueryConfig): Promise<Row[]> {
    return new Promise((resolve, reject) => {
      this.pool.connect((connectError, client, release) => {
        if (connectError || !client) return reject(connectError ?? new Error('No database connection'));
        const execute = () =>
          client.query<Row>(query, (error, result) => {
            release(error && brokenBy(error) ? error : undefined);
            if (error) reject(error);
            else resolve(result.rows);
          });
        if (this.known.has(client)) return execute();
        this.known.add(client);
        // A lost connection emits 'error' on its client. pg-pool listens only while the client is idle,
        // and a client released after its query's error can be handed straight to the next request
        // before the socket's end arrives: without a listener of ours that 'error' would be unhandled
        // and end the process. The query in flight gets the error through its callback anyway.
        client.on('error', ignoreConnectionError);
        // `pg` takes a new connection to have no statements prepared. The embedded database's single
        // session outlives a reconnection, so first forget whatever an earlier connection prepared.
        client.query('DEALLOCATE ALL', execute);
      });
    });
  }

  private get pool(): Pool {
    return (this.dataSource.driver as PostgresDriver).master as Pool;
  }
}

const ignoreConnectionError = (): void => undefined;

/**
 * Whether an error leaves the connection unusable: any error not from the server (a lost socket, a
 * client-side query timeout with the statement still running), and the server's FATAL ones (such as
 * `pg_terminate_backend`'s), after which it closes the connection.
 */
function brokenBy(error: Error): boolean {
  return !(error instanceof DatabaseError) || error.severity === 'FATAL' || error.severity === 'PANIC';
}
