import { DynamicModule, Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { ChatSessionsModule } from '../chat-sessions/chat-sessions.module.js';
import { AppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { MigrateCommand, PurgeSessionsCommand, StatsCommand } from './maintenance-commands.js';
import {
  ActivateUserCommand,
  CreateUserCommand,
  DeactivateUserCommand,
  ListUsersCommand,
  SetPasswordCommand,
} from './user-commands.js';

/** The admin CLI: the server's own modules in a standalone context, without HTTP. */
@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ runMigrations: false }),
        AuthModule,
        ChatSessionsModule,
        AdminModule,
      ],
      providers: [
        MigrateCommand,
        CreateUserCommand,
        ListUsersCommand,
        SetPasswordCommand,
        DeactivateUserCommand,
        ActivateUserCommand,
        PurgeSessionsCommand,
        StatsCommand,
      ],
    };
  }
}
