import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { withoutQueryValues } from './common/log-serializers.js';
import { AdminModule } from './admin/admin.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ChatSessionsModule } from './chat-sessions/chat-sessions.module.js';
import { CompatModule } from './compat/compat.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { HealthModule } from './health/health.module.js';
import { TransferModule } from './transfer/transfer.module.js';
import { UsageModule } from './usage/usage.module.js';
import { SearchModule } from './search/search.module.js';
import { GatewayModule } from './gateway/gateway.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
            serializers: { err: withoutQueryValues },
          },
          // No pino-http middleware (on Fastify it was never matched: no request was logged); requests
          // are logged by a Fastify hook (common/request-log.ts). The options above are the root logger's.
          forRoutes: [],
        }),
        DatabaseModule.forRoot(),
        HealthModule,
        AuthModule,
        ChatSessionsModule,
        MessagesModule,
        SearchModule,
        CompatModule,
        AdminModule,
        TransferModule,
        UsageModule,
        GatewayModule,
      ],
    };
  }
}
