import { Body, Controller, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user.js';
import { ApiProblemResponses, BAD_PAGE_QUERY } from '../common/api-errors.decorator.js';
import { acceptsEventStream } from '../common/accept.js';
import { ApiCallerAuth, CurrentUser } from '../common/decorators.js';
import { SseStream } from '../common/sse-stream.js';
import { ChatStreamService } from './chat-stream.service.js';
import { ChatTurnService, type TurnRequest } from './chat-turn.service.js';
import {
  ChatTurnDto,
  EditMessageDto,
  MessageDto,
  MessagePageDto,
  MessagePageQueryDto,
  RegenerateMessageDto,
  SendMessageDto,
} from './dto/message.dto.js';
import { ApiChatTurnResponses } from './messages.api-docs.js';
import { MessagesService } from './messages.service.js';
import { ApiTurnRefused } from '../usage/usage.api-docs.js';

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

  /**
   * The session's active path (or, with `leaf`, the path to that message), oldest first, keyset pagination.
   * @remarks Every message carries `parent_id` and its versions (`sibling_ids`, `sibling_index`,
   * `sibling_count`): pick another version with `PATCH /api/v1/chat-sessions/{id}` `{active_leaf_id}`.
   */
  @Get()
  @ApiProblemResponses(BAD_PAGE_QUERY)
  async list(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Query() query: MessagePageQueryDto,
  ): Promise<MessagePageDto> {
    const page = await this.messages.page(caller.id, id, query.limit ?? 50, query.cursor, query.leaf);
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
  @ApiTurnRefused()
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
    return this.answer(
      { caller, sessionId: id, accept, reply },
      { kind: 'ask', content: dto.content, parentId: dto.parent_id },
    );
  }

  /**
   * Edits a question: stores the new text as another version of it (same parent) and answers it.
   * @remarks Answers as `POST …/messages` does, plain or streamed; the new version becomes the active path.
   * The model sees the path up to the edited question's parent, then the new text.
   */
  @Post(':messageId/edit')
  @ApiParam({ name: 'messageId', format: 'uuid', description: 'The question (a user message) to edit.' })
  @ApiChatTurnResponses()
  @ApiTurnRefused()
  @ApiProblemResponses(
    [
      400,
      'The content is missing, blank or too long, or the message is an answer.',
      { detail: 'Only a question (a user message) can be edited; regenerate an answer instead.' },
    ],
    502,
    503,
    504,
  )
  async edit(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Param('messageId') messageId: string,
    @Body() dto: EditMessageDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChatTurnDto | undefined> {
    return this.answer(
      { caller, sessionId: id, accept, reply },
      { kind: 'edit', messageId, content: dto.content },
    );
  }

  /**
   * Regenerates an answer: stores another answer to the same question, optionally from another provider or model.
   * @remarks Answers as `POST …/messages` does, plain or streamed (`user_message` and `message.created`
   * are the existing question); the new answer becomes the active path. The session's settings do not change.
   */
  @Post(':messageId/regenerate')
  @ApiParam({
    name: 'messageId',
    format: 'uuid',
    description: 'The answer (an assistant message) to regenerate.',
  })
  @ApiChatTurnResponses()
  @ApiTurnRefused()
  @ApiProblemResponses(
    [
      400,
      'The message is a question, or the provider or model cannot be used.',
      { detail: 'Only an answer (an assistant message) can be regenerated; edit a question instead.' },
    ],
    502,
    503,
    504,
  )
  async regenerate(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Param('messageId') messageId: string,
    @Body() dto: RegenerateMessageDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChatTurnDto | undefined> {
    return this.answer(
      { caller, sessionId: id, accept, reply },
      { kind: 'regenerate', messageId, provider: dto.provider, model: dto.model },
    );
  }

  /** Answers a turn as JSON, or as Server-Sent Events when the client accepts them. */
  private async answer(
    {
      caller,
      sessionId,
      accept,
      reply,
    }: { caller: AuthUser; sessionId: string; accept: string | undefined; reply: FastifyReply },
    request: TurnRequest,
  ): Promise<ChatTurnDto | undefined> {
    if (acceptsEventStream(accept)) {
      await this.streams.stream(caller, sessionId, request, new SseStream(reply), reply.request.id);
      return undefined;
    }
    const turn = await this.turns.send(caller, sessionId, request);
    return {
      user_message: MessageDto.from(turn.userMessage),
      assistant_message: MessageDto.from(turn.assistantMessage),
    };
  }
}
