import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user.js';
import { ApiProblemResponses, BAD_PAGE_QUERY } from '../common/api-errors.decorator.js';
import { ApiCallerAuth, CurrentUser } from '../common/decorators.js';
import { SseStream } from '../common/sse-stream.js';
import { AnswerStreamsService } from './answer-streams.service.js';
import type { TurnRequest } from './chat-turn.service.js';
import {
  ChatTurnDto,
  EditMessageDto,
  MessageDto,
  MessagePageDto,
  MessagePageQueryDto,
  RegenerateMessageDto,
  ResumeQueryDto,
  SendMessageDto,
} from './dto/message.dto.js';
import {
  ApiChatTurnResponses,
  ApiResumeResponses,
  ApiTurnHeaders,
  IDEMPOTENCY_CONFLICT,
} from './messages.api-docs.js';
import { MessagesService } from './messages.service.js';
import { parseLastEventId, TurnResponsesService } from './turn-responses.service.js';

/** The headers a turn-creating POST reads besides its body. */
interface TurnHeaders {
  accept?: string;
  'idempotency-key'?: string;
  'last-event-id'?: string;
}
import { ApiTurnRefused } from '../usage/usage.api-docs.js';

@ApiTags('messages')
@ApiCallerAuth()
@ApiParam({ name: 'id', format: 'uuid', description: 'The chat session id.' })
@ApiProblemResponses(401, 404)
@Controller('api/v1/chat-sessions/:id/messages')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly turns: TurnResponsesService,
    private readonly streams: AnswerStreamsService,
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
  @ApiTurnHeaders()
  @ApiTurnRefused()
  @ApiProblemResponses(
    IDEMPOTENCY_CONFLICT,
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
    @Headers() headers: TurnHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChatTurnDto | undefined> {
    return this.answer(
      { caller, sessionId: id, headers, reply },
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
  @ApiTurnHeaders()
  @ApiTurnRefused()
  @ApiProblemResponses(
    IDEMPOTENCY_CONFLICT,
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
    @Headers() headers: TurnHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChatTurnDto | undefined> {
    return this.answer(
      { caller, sessionId: id, headers, reply },
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
  @ApiTurnHeaders()
  @ApiTurnRefused()
  @ApiProblemResponses(
    IDEMPOTENCY_CONFLICT,
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
    @Headers() headers: TurnHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ChatTurnDto | undefined> {
    return this.answer(
      { caller, sessionId: id, headers, reply },
      { kind: 'regenerate', messageId, provider: dto.provider, model: dto.model },
    );
  }

  /** Answers a turn as JSON, or as Server-Sent Events when the client accepts them. */
  private async answer(
    {
      caller,
      sessionId,
      headers,
      reply,
    }: { caller: AuthUser; sessionId: string; headers: TurnHeaders; reply: FastifyReply },
    request: TurnRequest,
  ): Promise<ChatTurnDto | undefined> {
    return this.turns.respond(
      {
        caller,
        sessionId,
        reply,
        accept: headers.accept,
        idempotencyKey: headers['idempotency-key'],
        lastEventId: headers['last-event-id'],
      },
      request,
    );
  }

  /**
   * Resumes the stream of an answer: its events after `Last-Event-ID`, then the live ones to its end.
   * @remarks Works on any instance (with REDIS_URL), while the answer is generated and for
   * GENERATION_RETAIN_MS after; on a finished answer whose events are gone, the final event at once.
   * `?last_event_id=` stands in for the header for clients that cannot set it (EventSource's first connection).
   */
  @Get(':messageId/stream')
  @ApiParam({
    name: 'messageId',
    format: 'uuid',
    description: 'The answer (an assistant message) to follow.',
  })
  @ApiResumeResponses()
  @ApiProblemResponses([
    400,
    'Last-Event-ID (or last_event_id) is not a whole number.',
    {
      detail: 'Invalid Last-Event-ID.',
      errors: [
        { field: 'Last-Event-ID', message: 'Last-Event-ID must be the id of an event (a whole number)' },
      ],
    },
  ])
  async resume(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Param('messageId') messageId: string,
    @Query() query: ResumeQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const after =
      lastEventId !== undefined
        ? parseLastEventId(lastEventId, 'Last-Event-ID')
        : parseLastEventId(query.last_event_id ?? '0', 'last_event_id');
    await this.streams.resume(caller, id, messageId, after, new SseStream(reply), reply.request.id);
  }

  /**
   * Stops an answer being generated, wherever it runs: the provider call is aborted and the partial text
   * stored with status `stopped`.
   * @remarks Open streams of the answer end with `message.completed` carrying the stopped answer, which
   * stays in later contexts. A client that only disconnects never stops an answer.
   */
  @Post(':messageId/stop')
  @HttpCode(200)
  @ApiParam({ name: 'messageId', format: 'uuid', description: 'The answer (an assistant message) to stop.' })
  @ApiOkResponse({ type: MessageDto, description: 'The stopped answer, as stored.' })
  @ApiProblemResponses([
    409,
    'The answer has already finished (complete, failed or stopped).',
    { detail: 'The answer has already finished: there is nothing to stop.' },
  ])
  stop(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Param('messageId') messageId: string,
  ): Promise<MessageDto> {
    return this.streams.stop(caller, id, messageId);
  }
}
