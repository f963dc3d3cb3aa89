import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';
import { PreparingClient } from './prepared-statements.js';
import { TypeOrmLogger } from './query-logging.js';

/** TypeORM options for the configured database: a PostgreSQL server, or the embedded one (a pool of one). */
export function typeOrmOptions(
  config: AppConfig,
  embedded?: { host: string; port: number },
): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    migrationsTransactionMode: 'each' as const,
    installExtensions: false,
    synchronize: false,
    logger: new TypeOrmLogger(),
  };
  const db = config.database;
  if (db.kind === 'embedded') {
    if (!embedded) throw new Error('The embedded database has not been started');
    return {
      ...common,
      host: embedded.host,
      port: embedded.port,
      username: 'postgres',
      database: 'postgres',
      extra: { Client: PreparingClient, max: 1, idleTimeoutMillis: 0 } /* PGlite has one session: keep it */,
    };
  }
  const credentials = db.url
    ? { url: db.url }
    : { host: db.host, port: db.port, username: db.user, password: db.password, database: db.database };
  // pg's pool and client options. A stopped or hung server cannot enforce statement_timeout, so the
  // client has a query timeout of its own, set above it so that a live server cancels first (keeping the
  // connection); keepAlive notices a server that vanished without closing the connection.
  const pool = {
    ...(db.preparedStatements ? { Client: PreparingClient } : {}),
    max: db.poolSize,
    connectionTimeoutMillis: db.connectTimeoutMs,
    statement_timeout: db.statementTimeoutMs,
    query_timeout: db.queryTimeoutMs,
    keepAlive: true,
  };
  return { ...common, ...credentials, extra: pool };
}
