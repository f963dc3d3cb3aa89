import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChatSession } from '../chat-sessions/chat-session.entity.js';
import { ChatSessionsModule } from '../chat-sessions/chat-sessions.module.js';
import { Message } from '../messages/message.entity.js';
import { ExportService } from './export.service.js';
import { ImportService } from './import.service.js';
import { TransferController } from './transfer.controller.js';

/** Export and import of conversations: our own format, and ChatGPT's `conversations.json`. */
@Module({
  imports: [ChatSessionsModule, TypeOrmModule.forFeature([ChatSession, Message])],
  controllers: [TransferController],
  providers: [ExportService, ImportService],
  exports: [ImportService],
})
export class TransferModule {}
