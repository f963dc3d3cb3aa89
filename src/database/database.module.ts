import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { analyzeStaleTables } from './auto-analyze.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { typeOrmOptions } from './typeorm-options.js';

export const EMBEDDED_POSTGRES = Symbol('EMBEDDED_POSTGRES');

/** Where an unopened data source would connect: never used, as it is never initialized. */
const UNOPENED = { host: '/nonexistent', port: 5432 };

const STALE_CHECK_EVERY_MS = 5_000;

/**
 * The embedded database's housekeeping. PGlite runs no autovacuum, so without an explicit ANALYZE the
 * planner has no statistics (the context query of a 3,000-message session took 66 ms instead of 2 ms):
 * analyze everything after start-up, then every few seconds the tables that changed enough
 * ({@link analyzeStaleTables}). On shutdown, close the pool before the embedded server it talks to,
 * then release the data directory.
 */
@Injectable()
class EmbeddedPostgresLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private analyzer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(EMBEDDED_POSTGRES) private readonly embedded: EmbeddedPostgres | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.embedded || !this.dataSource.isInitialized) return;
    await this.dataSource.query('ANALYZE');
    let running = false;
    this.analyzer = setInterval(() => {
      if (running) return;
      running = true;
      analyzeStaleTables(this.dataSource)
        .catch(() => undefined) // shutting down, or the next check will do
        .finally(() => (running = false));
    }, STALE_CHECK_EVERY_MS);
    this.analyzer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.analyzer);
    if (!this.embedded) return;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded.stop();
  }
}

@Global()
@Module({})
class EmbeddedPostgresModule {
  static forRoot(start: boolean): DynamicModule {
    return {
      module: EmbeddedPostgresModule,
      providers: [
        {
          provide: EMBEDDED_POSTGRES,
          inject: [AppConfig],
          useFactory: (config: AppConfig) =>
            start && config.database.kind === 'embedded'
              ? EmbeddedPostgres.start(config.database.dataDir)
              : null,
        },
      ],
      exports: [EMBEDDED_POSTGRES],
    };
  }
}

/** The database: PostgreSQL through TypeORM's `pg` driver, migrated at start-up (never synchronized). */
@Global()
@Module({})
export class DatabaseModule {
  /**
   * `runMigrations: false` (the CLI) leaves pending migrations to an explicit `migrate`.
   * `connect: false` (the CLI's --help and usage errors) wires everything without opening the database.
   */
  static forRoot({
    runMigrations = true,
    connect = true,
  }: { runMigrations?: boolean; connect?: boolean } = {}): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        EmbeddedPostgresModule.forRoot(connect),
        TypeOrmModule.forRootAsync({
          inject: [AppConfig, EMBEDDED_POSTGRES],
          useFactory: (config: AppConfig, embedded: EmbeddedPostgres | null) =>
            connect
              ? {
                  ...typeOrmOptions(config, embedded ?? undefined),
                  migrationsRun: runMigrations,
                  retryAttempts: 3,
                }
              : { ...typeOrmOptions(config, UNOPENED), manualInitialization: true },
        }),
      ],
      providers: [EmbeddedPostgresLifecycle],
    };
  }
}
