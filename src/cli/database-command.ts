import { Inject } from '@nestjs/common';
import { CommandRunner } from 'nest-commander';
import { DataSource } from 'typeorm';
import { CliError } from './cli-input.js';

/** A command that works on the data: refuses a database with pending migrations instead of failing on SQL. */
export abstract class DatabaseCommand<
  Options extends object = Record<string, unknown>,
> extends CommandRunner {
  @Inject(DataSource) private readonly dataSource!: DataSource;

  async run(args: string[], options: Record<string, unknown> = {}): Promise<void> {
    if (await this.dataSource.showMigrations()) {
      throw new CliError('The database has pending migrations: run `npm run cli -- migrate` first.');
    }
    await this.execute(args, options as Options); // commander built `options` from the @Option() parsers
  }

  protected abstract execute(args: string[], options: Options): Promise<void>;
}
