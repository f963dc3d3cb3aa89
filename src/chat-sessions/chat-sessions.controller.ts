import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { ApiProblemResponses, BAD_PAGE_QUERY, ProblemResponse } from '../common/api-errors.decorator.js';
import { ApiCallerAuth, CurrentUser } from '../common/decorators.js';
import { ChatSessionsService, SessionFields } from './chat-sessions.service.js';
import {
  ChatSessionDto,
  ChatSessionPageDto,
  CreateChatSessionDto,
  PageQueryDto,
  UpdateChatSessionDto,
} from './dto/chat-session.dto.js';

const toFields = (dto: CreateChatSessionDto): SessionFields => ({
  title: dto.title,
  systemPrompt: dto.system_prompt,
  provider: dto.provider,
  model: dto.model,
});

const SESSION_ID = ApiParam({ name: 'id', format: 'uuid', description: 'The chat session id.' });

const INVALID_SESSION_FIELDS: ProblemResponse = [
  400,
  'A field is invalid, or the provider is unknown or not configured here.',
  {
    detail: 'Invalid provider.',
    errors: [
      {
        field: 'provider',
        message: 'provider must be one of the following values: openai, gemini, anthropic, echo',
      },
    ],
  },
];

@ApiTags('chat sessions')
@ApiCallerAuth()
@ApiProblemResponses(401)
@Controller('api/v1/chat-sessions')
export class ChatSessionsController {
  constructor(private readonly sessions: ChatSessionsService) {}

  /** Starts a session. An unknown provider, or one not configured here, is 400. */
  @Post()
  @ApiProblemResponses(INVALID_SESSION_FIELDS)
  async create(@CurrentUser() caller: AuthUser, @Body() dto: CreateChatSessionDto): Promise<ChatSessionDto> {
    return ChatSessionDto.from(await this.sessions.create(caller.id, toFields(dto)));
  }

  /** The caller's sessions, most recently active first (keyset pagination). */
  @Get()
  @ApiProblemResponses(BAD_PAGE_QUERY)
  async list(@CurrentUser() caller: AuthUser, @Query() query: PageQueryDto): Promise<ChatSessionPageDto> {
    const page = await this.sessions.list(caller.id, query.limit ?? 20, query.cursor);
    return { data: page.sessions.map((s) => ChatSessionDto.from(s)), next_cursor: page.nextCursor };
  }

  /** One session; 404 when unknown or not the caller's. */
  @Get(':id')
  @SESSION_ID
  @ApiProblemResponses(404)
  async get(@CurrentUser() caller: AuthUser, @Param('id') id: string): Promise<ChatSessionDto> {
    return ChatSessionDto.from(await this.sessions.get(caller.id, id));
  }

  /**
   * Changes the title, system prompt, provider or model (null clears a field), or the branch shown.
   * @remarks `active_leaf_id` picks a version: the active path becomes the newest path through that message.
   */
  @Patch(':id')
  @SESSION_ID
  @ApiProblemResponses(INVALID_SESSION_FIELDS, 404)
  async update(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Body() dto: UpdateChatSessionDto,
  ): Promise<ChatSessionDto> {
    const fields = { ...toFields(dto), activeLeafId: dto.active_leaf_id };
    return ChatSessionDto.from(await this.sessions.update(caller.id, id, fields));
  }

  /** Deletes a session and its messages. */
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @SESSION_ID
  @ApiProblemResponses(404)
  async remove(@CurrentUser() caller: AuthUser, @Param('id') id: string): Promise<void> {
    await this.sessions.remove(caller.id, id);
  }
}
