import { Module } from '@nestjs/common';
import { LlmModule } from '../llm/llm.module.js';
import { ChatSessionsController } from './chat-sessions.controller.js';
import { ChatSessionsService } from './chat-sessions.service.js';

@Module({
  imports: [LlmModule],
  controllers: [ChatSessionsController],
  providers: [ChatSessionsService],
  exports: [ChatSessionsService],
})
export class ChatSessionsModule {}
