import { Body, Controller, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user.js';
import { PageQueryDto } from '../chat-sessions/dto/chat-session.dto.js';
import { ApiProblemResponses, BAD_PAGE_QUERY } from '../common/api-errors.decorator.js';
import { acceptsEventStream } from '../common/accept.js';
import { ApiCallerAuth, CurrentUser } from '../common/decorators.js';
import { SseStream } from '../common/sse-stream.js';
import { ChatStreamService } from './chat-stream.service.js';
import { ChatTurnService } from './chat-turn.service.js';
import { ChatTurnDto, MessageDto, MessagePageDto, SendMessageDto } from './dto/message.dto.js';
import { ApiChatTurnResponses } from './messages.api-docs.js';
import { MessagesService } from './messages.service.js';

@ApiTags('messages')
@ApiCallerAuth()
@ApiParam({ name: 'id', format: 'uuid', description: 'The chat session id.' })
@ApiProblemResponses(401, 404)
@Controller('api/v1/chat-sessions/:id/messages')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly turns: ChatTurnService,
    private readonly streams: ChatStreamService,
  ) {}

  /** The session's messages, oldest first (keyset pagination). */
  @Get()
  @ApiProblemResponses(BAD_PAGE_QUERY)
  async list(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Query() query: PageQueryDto,
  ): Promise<MessagePageDto> {
    const page = await this.messages.page(caller.id, id, query.limit ?? 50, query.cursor);
    return { data: page.messages.map((m) => MessageDto.from(m)), next_cursor: page.nextCursor };
  }

  /**
   * Sends a message and returns it with the answer, or streams the answer.
   *
   * @remarks
   * The provider sees the system prompt and the latest turns that fit the context budget. Provider
   * failure: 502, 503 or 504, with both messages stored.
   *
   * With `Accept: text/event-stream` the answer streams as Server-Sent Events instead: `message.created`
   * (the stored user message), `delta` (`{message_id, text}`) per chunk, then `message.completed` (the
   * stored assistant message) or `error` (problem details). Each event has an increasing `id:`.
   */
  @Post()
  @ApiChatTurnResponses()
  @ApiProblemResponses(
    [
      400,
      'The content is missing, blank, over 100,000 characters, or contains a NUL character.',
      { detail: 'Invalid content.', errors: [{ field: 'content', message: 'content must not be blank' }] },
    ],
    502,
    503,
    504,
  )
  async send(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Body() dto: SendMessageDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChatTurnDto | undefined> {
    if (acceptsEventStream(accept)) {
      await this.streams.stream(caller, id, dto.content, new SseStream(reply), reply.request.id);
      return undefined;
    }
    const turn = await this.turns.send(caller, id, dto.content);
    return {
      user_message: MessageDto.from(turn.userMessage),
      assistant_message: MessageDto.from(turn.assistantMessage),
    };
  }
}
