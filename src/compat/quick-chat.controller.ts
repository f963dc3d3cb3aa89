import { Body, Controller, Get, Headers, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { ChatSessionsService } from '../chat-sessions/chat-sessions.service.js';
import { ApiSeedAuthRequired, ApiSeedError, ApiSeedProviderErrors } from '../common/api-errors.decorator.js';
import { ApiCallerAuth, CurrentUser } from '../common/decorators.js';
import { SeedResponseException } from '../common/exceptions.js';
import { mapErrors } from '../common/map-errors.js';
import { MessagesService } from '../messages/messages.service.js';
import { ProviderFailedException } from '../messages/provider-failed.exception.js';
import { TurnResponsesService } from '../messages/turn-responses.service.js';
import { QuickChatMessageDto } from './dto/seed-chat.dto.js';
import {
  QuickChatHistoryEntryDto,
  QuickChatReplyDto,
  QuickChatTranscriptDto,
} from './dto/seed-responses.dto.js';
import { seedMessageText } from './seed-message.js';
import { ApiDrfBodies } from './dto/drf-fields.js';
import { ApiSeedTurnRefused } from '../usage/usage.api-docs.js';
import { ApiSeedIdempotencyKey, SEED_IDEMPOTENCY_KEY_INVALID } from '../messages/messages.api-docs.js';

interface HistoryEntry {
  session_id: string;
  created_at: string;
}

interface SessionTranscript {
  session_id: string;
  created_at: string;
  messages: { role: string; content: string; timestamp: string }[];
}

const SESSION_NOT_FOUND = ApiSeedError(404, "Unknown session, or another user's.", {
  error: 'Chat session not found.',
});

/** The quick-chat seed's chat API (`/api/v1/chat/*`), byte for byte. Auth: `Token <token>` or `Bearer <jwt>`. */
@ApiTags('seed-compatible chat')
@ApiCallerAuth('token') // `Token` first: this API's own scheme
@ApiSeedAuthRequired('quick-chat')
@ApiDrfBodies()
@Controller('api/v1/chat')
export class QuickChatController {
  constructor(
    private readonly sessions: ChatSessionsService,
    private readonly messages: MessagesService,
    private readonly turns: TurnResponsesService,
  ) {}

  /**
   * Sends a message and returns the answer.
   * @remarks `{session_id?, message}` → `{session_id, message}` (the answer). No session_id: a new session.
   * With an `Idempotency-Key` used already, the turn it created, and nothing new.
   */
  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: QuickChatReplyDto, description: 'The answer, stored with the message.' })
  @ApiSeedError(
    400,
    'The message is missing, blank, too long or contains a NUL character, `session_id` is invalid, or the `Idempotency-Key` is malformed.',
    { error: 'Message cannot be empty.' },
    { session_id: ['Not a valid string.'] },
    SEED_IDEMPOTENCY_KEY_INVALID,
  )
  @SESSION_NOT_FOUND
  @ApiSeedIdempotencyKey()
  @ApiSeedProviderErrors('a1b2c3d4-e5f6-4890-9234-56789abcdef0')
  @ApiSeedTurnRefused()
  async send(
    @CurrentUser() caller: AuthUser,
    @Body() dto: QuickChatMessageDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<{ session_id: string; message: string }> {
    const text = seedMessageText(dto.message, 'Message cannot be empty.');
    const request = { kind: 'ask', content: text } as const;
    // The question is stored even when the provider fails: name its session, which may be new.
    const turn = await mapErrors(this.turns.plain(caller, dto.session_id ?? null, request, idempotencyKey), [
      [
        ProviderFailedException,
        (e) => {
          const { llmError, sessionId } = e as ProviderFailedException;
          return new SeedResponseException(
            { error: llmError.message, session_id: sessionId },
            llmError.httpStatus,
          );
        },
      ],
    ]);
    return { session_id: turn.assistantMessage.sessionId, message: turn.assistantMessage.content };
  }

  /** The caller's sessions, newest first. */
  @Get('chats-history')
  @ApiOkResponse({ type: [QuickChatHistoryEntryDto], description: "The caller's sessions." })
  async history(@CurrentUser() caller: AuthUser): Promise<HistoryEntry[]> {
    const sessions = await this.sessions.listStarts(caller.id);
    return sessions.map((s) => ({ session_id: s.id, created_at: s.createdAt }));
  }

  /** One session's messages, oldest first. */
  @Get('chats/:sessionId')
  @ApiParam({ name: 'sessionId', format: 'uuid', description: 'The chat session id.' })
  @ApiOkResponse({ type: QuickChatTranscriptDto, description: 'The session and its messages.' })
  @SESSION_NOT_FOUND
  async transcript(
    @CurrentUser() caller: AuthUser,
    @Param('sessionId') sessionId: string,
  ): Promise<SessionTranscript> {
    const session = await this.sessions.get(caller.id, sessionId);
    const messages = await this.messages.history(caller.id, session.id);
    return {
      session_id: session.id,
      created_at: session.createdAt,
      messages: messages.map((m) => ({
        role: m.role,
        content: m.content,
        timestamp: m.createdAt,
      })),
    };
  }
}
