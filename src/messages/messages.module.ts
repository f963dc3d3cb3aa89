import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChatSession } from '../chat-sessions/chat-session.entity.js';
import { ChatSessionsModule } from '../chat-sessions/chat-sessions.module.js';
import { LlmModule } from '../llm/llm.module.js';
import { AnswerGeneratorService } from './answer-generator.service.js';
import { AnswerStreamsService } from './answer-streams.service.js';
import { ChatRateLimiter } from '../usage/chat-rate-limiter.js';
import { TurnAdmission } from '../usage/turn-admission.service.js';
import { UsageModule } from '../usage/usage.module.js';
import { ChatContextService } from './chat-context.service.js';
import { ChatStreamService } from './chat-stream.service.js';
import { ChatTurnService } from './chat-turn.service.js';
import { GenerationLeasesService } from './generation-leases.service.js';
import { IdempotencyKey } from './idempotency-key.entity.js';
import { IdempotencyService } from './idempotency.service.js';
import { Message } from './message.entity.js';
import { MessagesController } from './messages.controller.js';
import { MessagesService } from './messages.service.js';
import { SessionTitlesService } from './session-titles.service.js';
import { ShutdownSignal } from './shutdown-signal.js';
import { TurnResponsesService } from './turn-responses.service.js';

@Module({
  imports: [
    ChatSessionsModule,
    LlmModule,
    UsageModule,
    TypeOrmModule.forFeature([Message, ChatSession, IdempotencyKey]),
  ],
  controllers: [MessagesController],
  providers: [
    MessagesService,
    ChatContextService,
    ChatTurnService,
    ChatStreamService,
    SessionTitlesService,
    ShutdownSignal,
    AnswerGeneratorService,
    AnswerStreamsService,
    GenerationLeasesService,
    IdempotencyService,
    TurnResponsesService,
    ChatRateLimiter,
    TurnAdmission,
  ],
  exports: [
    MessagesService,
    ChatTurnService,
    TurnResponsesService,
    ChatSessionsModule,
    ShutdownSignal,
    TurnAdmission,
  ],
})
export class MessagesModule {}
