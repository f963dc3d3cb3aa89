import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { DataSource } from 'typeorm';
import { CliError } from './cli/cli-input.js';
import { CliModule } from './cli/cli.module.js';
import { ConfigValidationError, loadConfig } from './config/app-config.js';
import { DataDirInUseError } from './database/embedded-postgres.js';

/** Every failure is one line on stderr and exit code 1 (set DEBUG_CLI=1 for the stack of an unexpected one). */
function failure(error: unknown): never {
  const expected = [CliError, ConfigValidationError, DataDirInUseError].some((type) => error instanceof type);
  const message = error instanceof Error ? error.message : String(error);
  console.error(`error: ${expected ? message : message.split('\n')[0]}`);
  if (!expected && process.env.DEBUG_CLI && error instanceof Error) console.error(error.stack);
  process.exit(1);
}

/** Commands other than `migrate` need an up-to-date schema: say so rather than fail on SQL. */
async function assertMigrated(
  app: Awaited<ReturnType<typeof CommandFactory.createWithoutRunning>>,
): Promise<void> {
  if (process.argv[2] === 'migrate' || process.argv.length <= 2 || process.argv[2].startsWith('-')) return;
  const pending = await app.get(DataSource).showMigrations();
  if (pending) throw new CliError('The database has pending migrations: run `npm run cli -- migrate` first.');
}

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await CommandFactory.createWithoutRunning(CliModule.forRoot(config), {
    logger: false,
    cliName: 'npm run cli --',
    abortOnError: false,
    serviceErrorHandler: failure,
    errorHandler: (error: Error & { exitCode?: number; code?: string }) => {
      // commander has printed the message: --help and --version exit 0, usage errors 1 with a pointer to the usage
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        process.exit(0);
      console.error(
        'Run `npm run cli -- --help` for the commands, or `npm run cli -- <command> --help` for one.',
      );
      process.exit(error.exitCode && error.exitCode > 0 ? error.exitCode : 1);
    },
  });
  try {
    await assertMigrated(app);
    await CommandFactory.runApplication(app);
  } finally {
    await app.close();
  }
}

main().catch(failure);
