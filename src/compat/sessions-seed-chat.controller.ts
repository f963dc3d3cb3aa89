import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Put,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import type { ChatSessionRecord } from '../chat-sessions/chat-session.js';
import { ChatSessionsService } from '../chat-sessions/chat-sessions.service.js';
import { ApiSeedAuthRequired, ApiSeedError, ApiSeedProviderErrors } from '../common/api-errors.decorator.js';
import { ApiCallerAuth, CurrentUser } from '../common/decorators.js';
import { Exchange, MessagesService } from '../messages/messages.service.js';
import { TurnResponsesService } from '../messages/turn-responses.service.js';
import { SeedPromptDto, SeedSessionDto } from './dto/seed-chat.dto.js';
import { SeedChatSessionDto, SeedExchangeDto } from './dto/seed-responses.dto.js';
import { seedMessageText } from './seed-message.js';
import { ApiDrfBodies } from './dto/drf-fields.js';
import { ApiSeedTurnRefused } from '../usage/usage.api-docs.js';
import { ApiSeedIdempotencyKey, SEED_IDEMPOTENCY_KEY_INVALID } from '../messages/messages.api-docs.js';

interface SeedSession {
  id: string;
  user: string;
  title: string | null;
  started_at: string;
  updated_at: string;
}

interface SeedExchange {
  id: string;
  session: string;
  prompt: string;
  response: string;
  created_at: string;
}

const toSeedSession = (s: ChatSessionRecord): SeedSession => ({
  id: s.id,
  user: s.userId,
  title: s.title,
  started_at: s.createdAt,
  updated_at: s.updatedAt,
});

const toSeedExchange = (e: Exchange): SeedExchange => ({
  id: e.id,
  session: e.sessionId,
  prompt: e.prompt,
  response: e.response,
  created_at: e.createdAt,
});

/** `{id}` in the path, and the 404 for a session that is not the caller's. */
const A_SESSION = applyDecorators(
  ApiParam({ name: 'id', format: 'uuid', description: 'The chat session id.' }),
  ApiSeedError(404, "Unknown session, or another user's.", { error: 'Chat session not found' }),
);

const TITLE_INVALID = ApiSeedError(
  400,
  'The title is not a string, longer than 200 characters, or has a NUL character or a lone surrogate.',
  { title: ['Ensure this field has no more than 200 characters.'] },
  { title: ['Null characters are not allowed.'] },
);

/** The sessions seed's `/chatsessions/*` API, at the root and under `/api/`. Auth: `Bearer <access>`. */
@ApiTags('seed-compatible chat')
@ApiCallerAuth()
@ApiSeedAuthRequired('sessions-seed')
@ApiDrfBodies()
@Controller(['chatsessions', 'api/chatsessions'])
export class SessionsSeedChatController {
  constructor(
    private readonly sessions: ChatSessionsService,
    private readonly messages: MessagesService,
    private readonly turns: TurnResponsesService,
  ) {}

  /** The caller's sessions, most recently active first. */
  @Get()
  @ApiOkResponse({ type: [SeedChatSessionDto], description: "The caller's sessions." })
  async list(@CurrentUser() caller: AuthUser): Promise<SeedSession[]> {
    return (await this.sessions.listAll(caller.id)).map(toSeedSession);
  }

  /**
   * Starts a session.
   * @remarks `{title?}` → 201 the session.
   */
  @Post()
  @ApiCreatedResponse({ type: SeedChatSessionDto, description: 'The new session.' })
  @TITLE_INVALID
  async create(@CurrentUser() caller: AuthUser, @Body() dto: SeedSessionDto): Promise<SeedSession> {
    return toSeedSession(await this.sessions.create(caller.id, { title: dto.title }));
  }

  /** One session. */
  @Get(':id')
  @A_SESSION
  @ApiOkResponse({ type: SeedChatSessionDto, description: 'The session.' })
  async get(@CurrentUser() caller: AuthUser, @Param('id') id: string): Promise<SeedSession> {
    return toSeedSession(await this.sessions.get(caller.id, id));
  }

  /**
   * Replaces the session's title.
   * @remarks `{title}`; an omitted or null title clears it.
   */
  @Put(':id')
  @A_SESSION
  @ApiOkResponse({ type: SeedChatSessionDto, description: 'The session, changed.' })
  @TITLE_INVALID
  async replace(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Body() dto: SeedSessionDto,
  ): Promise<SeedSession> {
    return toSeedSession(await this.sessions.update(caller.id, id, { title: dto.title ?? null }));
  }

  /**
   * Changes the session's title.
   * @remarks The title changes only when `title` is given.
   */
  @Patch(':id')
  @A_SESSION
  @ApiOkResponse({ type: SeedChatSessionDto, description: 'The session, changed.' })
  @TITLE_INVALID
  async update(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Body() dto: SeedSessionDto,
  ): Promise<SeedSession> {
    return toSeedSession(await this.sessions.update(caller.id, id, { title: dto.title }));
  }

  /** Deletes the session and its messages. */
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @A_SESSION
  async remove(@CurrentUser() caller: AuthUser, @Param('id') id: string): Promise<void> {
    await this.sessions.remove(caller.id, id);
  }

  /**
   * The session's exchanges, oldest first.
   * @remarks Each exchange (a prompt and its answer) as one object: `{id, session, prompt, response, created_at}`.
   */
  @Get(':id/messages')
  @A_SESSION
  @ApiOkResponse({ type: [SeedExchangeDto], description: 'The exchanges, oldest first.' })
  async exchanges(@CurrentUser() caller: AuthUser, @Param('id') id: string): Promise<SeedExchange[]> {
    const session = await this.sessions.get(caller.id, id);
    return (await this.messages.exchanges(caller.id, session.id)).map(toSeedExchange);
  }

  /**
   * Sends a prompt and returns the exchange with the answer.
   * @remarks `{prompt}` → 201 the exchange, answered with the session's earlier turns as memory. With an
   * `Idempotency-Key` used already, the exchange it created, and nothing new.
   */
  @Post(':id/messages')
  @A_SESSION
  @ApiCreatedResponse({ type: SeedExchangeDto, description: 'The exchange, stored.' })
  @ApiSeedError(
    400,
    'The prompt is missing, blank, too long or contains a NUL character, or the `Idempotency-Key` is malformed.',
    { error: 'Prompt cannot be empty' },
    SEED_IDEMPOTENCY_KEY_INVALID,
  )
  @ApiSeedIdempotencyKey()
  @ApiSeedProviderErrors()
  @ApiSeedTurnRefused()
  async send(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Body() dto: SeedPromptDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ): Promise<SeedExchange> {
    const session = await this.sessions.get(caller.id, id);
    const prompt = seedMessageText(dto.prompt, 'Prompt cannot be empty');
    const request = { kind: 'ask', content: prompt } as const;
    const { userMessage, assistantMessage } = await this.turns.plain(
      caller,
      session.id,
      request,
      idempotencyKey,
    );
    return toSeedExchange({
      id: userMessage.id,
      sessionId: userMessage.sessionId,
      prompt: userMessage.content,
      response: assistantMessage.content,
      createdAt: userMessage.createdAt,
    });
  }
}
