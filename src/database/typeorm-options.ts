import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations/index.js';
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
      extra: { max: 1, idleTimeoutMillis: 0 } /* PGlite has one session: keep it, never reconnect */,
    };
  }
  const credentials = db.url
    ? { url: db.url }
    : { host: db.host, port: db.port, username: db.user, password: db.password, database: db.database };
  return { ...common, ...credentials, extra: { max: db.poolSize } };
}
