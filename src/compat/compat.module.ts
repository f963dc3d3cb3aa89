import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { QuickChatAccountsController } from './quick-chat-accounts.controller.js';
import { QuickChatController } from './quick-chat.controller.js';
import { SessionsSeedAuthController, SimpleJwtController } from './sessions-seed-auth.controller.js';
import { SessionsSeedChatController } from './sessions-seed-chat.controller.js';

/** The two seed contracts, as thin controllers over the same services as the native API. */
@Module({
  imports: [AuthModule, MessagesModule],
  controllers: [
    QuickChatAccountsController,
    QuickChatController,
    SessionsSeedAuthController,
    SimpleJwtController,
    SessionsSeedChatController,
  ],
})
export class CompatModule {}
