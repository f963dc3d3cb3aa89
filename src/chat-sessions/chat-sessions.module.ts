import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GenerationsModule } from '../generations/generations.module.js';
import { LlmModule } from '../llm/llm.module.js';
import { ChatSession } from './chat-session.entity.js';
import { ChatSessionsController } from './chat-sessions.controller.js';
import { ChatSessionsService } from './chat-sessions.service.js';

@Module({
  imports: [LlmModule, GenerationsModule, TypeOrmModule.forFeature([ChatSession])],
  controllers: [ChatSessionsController],
  providers: [ChatSessionsService],
  exports: [ChatSessionsService, GenerationsModule],
})
export class ChatSessionsModule {}
