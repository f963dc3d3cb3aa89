import { Command, CommandRunner, Option } from 'nest-commander';
import { DataSource } from 'typeorm';
import { StatsService } from '../admin/stats.service.js';
import { ChatSessionsService } from '../chat-sessions/chat-sessions.service.js';
import { UsersService } from '../users/users.service.js';
import { CliError, parseIdleDuration, printTable } from './cli-input.js';
import { DatabaseCommand } from './database-command.js';

@Command({
  name: 'migrate',
  description: 'Run pending database migrations (nothing to do when there are none)',
})
export class MigrateCommand extends CommandRunner {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async run(): Promise<void> {
    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    if (applied.length === 0) console.log('No pending migrations.');
    for (const migration of applied) console.log(`Applied ${migration.name}`);
  }
}

@Command({ name: 'purge-sessions', description: 'Delete chat sessions idle for longer than a duration' })
export class PurgeSessionsCommand extends DatabaseCommand<{
  olderThan: number;
  user?: string;
  dryRun?: boolean;
}> {
  constructor(
    private readonly sessions: ChatSessionsService,
    private readonly users: UsersService,
  ) {
    super();
  }

  protected async execute(
    _args: string[],
    options: { olderThan: number; user?: string; dryRun?: boolean },
  ): Promise<void> {
    let userId: string | null = null;
    if (options.user) {
      const user = await this.users.findByUsername(options.user);
      if (!user) throw new CliError(`No user named "${options.user}".`);
      userId = user.id;
    }
    const count = await this.sessions.purgeIdle(options.olderThan, userId, options.dryRun ?? false);
    console.log(options.dryRun ? `Would delete ${count} session(s).` : `Deleted ${count} session(s).`);
  }

  @Option({
    flags: '--older-than <duration>',
    description: 'idle time, such as 30d, 12h or 90m',
    required: true,
  })
  parseOlderThan(value: string): number {
    return parseIdleDuration(value);
  }

  @Option({ flags: '--user <username>', description: "only this user's sessions" })
  parseUser(value: string): string {
    return value;
  }

  @Option({ flags: '--dry-run', description: 'count, do not delete' })
  parseDryRun(): boolean {
    return true;
  }
}

@Command({ name: 'stats', description: 'Users, sessions, messages, and tokens used per provider and model' })
export class StatsCommand extends DatabaseCommand<{ json?: boolean }> {
  constructor(private readonly stats: StatsService) {
    super();
  }

  protected async execute(_args: string[], options: { json?: boolean }): Promise<void> {
    const stats = await this.stats.collect();
    if (options.json) {
      console.log(JSON.stringify(stats, null, 2));
      return;
    }
    console.log(`users: ${stats.users} (${stats.active_users} active)`);
    console.log(`sessions: ${stats.sessions}`);
    console.log(`messages: ${stats.messages}`);
    printTable(stats.usage as unknown as Record<string, unknown>[]);
  }

  @Option({ flags: '--json', description: 'print JSON' })
  parseJson(): boolean {
    return true;
  }
}
