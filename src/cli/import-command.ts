import { createReadStream } from 'node:fs';
import { HttpException } from '@nestjs/common';
import { Command, Option } from 'nest-commander';
import { RequestValidationException } from '../common/exceptions.js';
import { ImportService } from '../transfer/import.service.js';
import { UsersService } from '../users/users.service.js';
import { CliError } from './cli-input.js';
import { DatabaseCommand } from './database-command.js';

interface ImportOptions {
  user: string;
  json?: boolean;
}

/** Why a file could not be read or imported, in one line. */
function reasonOf(error: HttpException): string {
  const response = error.getResponse();
  const detail = typeof response === 'string' ? response : error.message;
  if (!(error instanceof RequestValidationException)) return detail;
  return `${detail} ${error.fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; ')}`;
}

@Command({
  name: 'import',
  arguments: '<file>',
  description:
    "Import conversations into a user's account: ChatGPT's conversations.json, or our export (JSON or JSON Lines)",
})
export class ImportCommand extends DatabaseCommand<ImportOptions> {
  constructor(
    private readonly imports: ImportService,
    private readonly users: UsersService,
  ) {
    super();
  }

  protected async execute([file]: string[], options: ImportOptions): Promise<void> {
    const user = await this.users.findByUsername(options.user);
    if (!user) throw new CliError(`No user named "${options.user}".`);
    const bytes = createReadStream(file);
    const opened = new Promise<void>((resolve, reject) => {
      bytes.once('open', () => resolve());
      bytes.once('error', (error) => reject(new CliError(`Cannot read ${file}: ${error.message}`)));
    });
    await opened;
    let report;
    try {
      report = await this.imports.importFile(user.id, bytes as AsyncIterable<Buffer>);
    } catch (error) {
      if (error instanceof HttpException) throw new CliError(reasonOf(error));
      throw error;
    }
    if (options.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    const { imported, failed, skipped } = report;
    console.log(
      `Imported ${imported} conversation(s); ${skipped.duplicates} already there; ${failed} failed; ` +
        `left out ${skipped.messages} message(s) and ${skipped.parts} non-text part(s).`,
    );
    for (const error of report.errors)
      console.log(`  [${error.index}] ${error.title ?? '(untitled)'}: ${error.reason}`);
  }

  @Option({ flags: '--user <username>', description: 'the account to import into', required: true })
  parseUser(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the report as JSON' })
  parseJson(): boolean {
    return true;
  }
}
