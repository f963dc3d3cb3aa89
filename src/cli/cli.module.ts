import { DynamicModule, Module } from '@nestjs/common';
// Not re-exported by the package's index; the key under which @Command() keeps its options.
import { CommandMeta } from 'nest-commander/src/constants.js';
import { AdminModule } from '../admin/admin.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { ChatSessionsModule } from '../chat-sessions/chat-sessions.module.js';
import { AppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { TransferModule } from '../transfer/transfer.module.js';
import { ImportCommand } from './import-command.js';
import { UsageModule } from '../usage/usage.module.js';
import { ListApiKeysCommand, RevokeApiKeyCommand } from './api-key-commands.js';
import { MigrateCommand, PurgeSessionsCommand, StatsCommand } from './maintenance-commands.js';
import { SetQuotaCommand, UsageCommand } from './usage-commands.js';
import {
  ActivateUserCommand,
  CreateUserCommand,
  DeactivateUserCommand,
  ListUsersCommand,
  SetPasswordCommand,
} from './user-commands.js';

const COMMANDS = [
  MigrateCommand,
  CreateUserCommand,
  ListUsersCommand,
  SetPasswordCommand,
  DeactivateUserCommand,
  ActivateUserCommand,
  PurgeSessionsCommand,
  StatsCommand,
  ImportCommand,
  UsageCommand,
  SetQuotaCommand,
  ListApiKeysCommand,
  RevokeApiKeyCommand,
];

/** The commands' names, read from their @Command() metadata (nest-commander's `CommandMeta` key). */
export const CLI_COMMANDS: readonly string[] = COMMANDS.map(
  (command) => (Reflect.getMetadata(CommandMeta, command) as { name: string }).name,
);

/** The admin CLI: the server's own modules in a standalone context, without HTTP. */
@Module({})
export class CliModule {
  /** `connect: false` builds the commands without opening the database (for --help and usage errors). */
  static forRoot(config: AppConfig, connect = true): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ runMigrations: false, connect }),
        AuthModule,
        ChatSessionsModule,
        AdminModule,
        TransferModule,
        UsageModule,
      ],
      providers: COMMANDS,
    };
  }
}
