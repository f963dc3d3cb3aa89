import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { typeOrmOptions } from './typeorm-options.js';

export const EMBEDDED_POSTGRES = Symbol('EMBEDDED_POSTGRES');

/** Where an unopened data source would connect: never used, as it is never initialized. */
const UNOPENED = { host: '/nonexistent', port: 5432 };

/** Closes the pool before the embedded server it talks to, then releases the data directory. */
@Injectable()
class EmbeddedPostgresCloser implements OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EMBEDDED_POSTGRES) private readonly embedded: EmbeddedPostgres | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
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
      providers: [EmbeddedPostgresCloser],
    };
  }
}
