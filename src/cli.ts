import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliError } from './cli/cli-input.js';
import { CLI_COMMANDS, CliModule } from './cli/cli.module.js';
import { ConfigValidationError, loadConfig } from './config/app-config.js';
import { DataDirInUseError } from './database/data-dir-lock.js';

/** Every failure is one line on stderr and exit code 1 (set DEBUG_CLI=1 for the stack of an unexpected one). */
function failure(error: unknown): never {
  const expected = [CliError, ConfigValidationError, DataDirInUseError].some((type) => error instanceof type);
  const message = error instanceof Error ? error.message : String(error);
  console.error(`error: ${expected ? message : message.split('\n')[0]}`);
  if (!expected && process.env.DEBUG_CLI && error instanceof Error) console.error(error.stack);
  process.exit(1);
}

/**
 * Help, and usage errors commander will report, need no database: build the commands without opening
 * it, so they work on an unmigrated database and while the server holds the embedded one.
 */
function needsDatabase(args: string[], commands: readonly string[]): boolean {
  const [command] = args;
  if (command === undefined || !commands.includes(command)) return false;
  return !args.includes('--help') && !args.includes('-h');
}

async function main(): Promise<void> {
  const config = loadConfig();
  const connect = needsDatabase(process.argv.slice(2), CLI_COMMANDS);
  const app = await CommandFactory.createWithoutRunning(CliModule.forRoot(config, connect), {
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
    await CommandFactory.runApplication(app);
  } finally {
    await app.close();
  }
}

main().catch(failure);
