import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { QuickChatAccountsController } from './quick-chat-accounts.controller.js';
import { SessionsSeedAuthController, SimpleJwtController } from './sessions-seed-auth.controller.js';

/** The two seed contracts, as thin controllers over the same services as the native API. */
@Module({
  imports: [AuthModule],
  controllers: [QuickChatAccountsController, SessionsSeedAuthController, SimpleJwtController],
})
export class CompatModule {}
