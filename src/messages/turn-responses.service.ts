import { BadRequestException, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user.js';
import { acceptsEventStream } from '../common/accept.js';
import { RequestValidationException } from '../common/exceptions.js';
import { SseStream } from '../common/sse-stream.js';
import { AnswerStreamsService } from './answer-streams.service.js';
import { ChatStreamService } from './chat-stream.service.js';
import { type ChatTurn, ChatTurnService, type TurnRequest } from './chat-turn.service.js';
import { ChatTurnDto, MessageDto } from './dto/message.dto.js';
import { IdempotencyService } from './idempotency.service.js';
import { MessageNotFoundException } from './message.errors.js';
import { MessagesService } from './messages.service.js';

/** A stored turn: the question and its answer. */
export type StoredTurn = Pick<ChatTurn, 'userMessage' | 'assistantMessage'>;

/** A turn-creating POST as the controller hands it over. */
export interface TurnCall {
  caller: AuthUser;
  sessionId: string;
  accept: string | undefined;
  reply: FastifyReply;
  idempotencyKey: string | undefined;
  lastEventId: string | undefined;
}

/** 400 for a POST that tries to resume a stream by re-sending itself without an Idempotency-Key. */
export class ResumeByPostException extends BadRequestException {
  constructor() {
    super(
      'A POST with Last-Event-ID would start a new turn: resume an answer with ' +
        'GET /api/v1/chat-sessions/{id}/messages/{messageId}/stream (the answer id is in the first event), ' +
        'or send the POST with the Idempotency-Key of the original one.',
    );
  }
}

/**
 * Answers a turn-creating POST (a question, an edit, a regeneration): as JSON, or as Server-Sent Events
 * when the client accepts them; under an `Idempotency-Key` already used, with the turn it created (the
 * stored turn, or a resume of its stream from `Last-Event-ID`).
 */
@Injectable()
export class TurnResponsesService {
  constructor(
    private readonly turns: ChatTurnService,
    private readonly streams: ChatStreamService,
    private readonly answers: AnswerStreamsService,
    private readonly messages: MessagesService,
    private readonly idempotency: IdempotencyService,
  ) {}

  async respond(call: TurnCall, request: TurnRequest): Promise<ChatTurnDto | undefined> {
    const lastEventId =
      call.lastEventId === undefined ? undefined : parseLastEventId(call.lastEventId, 'Last-Event-ID');
    if (call.idempotencyKey === undefined && lastEventId !== undefined) throw new ResumeByPostException();
    const { caller, sessionId, reply } = call;
    if (!acceptsEventStream(call.accept)) {
      const turn = await this.plain(caller, sessionId, request, call.idempotencyKey);
      return {
        user_message: MessageDto.from(turn.userMessage),
        assistant_message: MessageDto.from(turn.assistantMessage),
      };
    }
    await this.idempotency.once(caller.id, call.idempotencyKey, {
      create: (record) =>
        this.streams.stream(caller, sessionId, request, new SseStream(reply), reply.request.id, record),
      // The turn a key created, streamed from after `Last-Event-ID`.
      replay: async (answerId) => {
        const sse = new SseStream(reply);
        sse.open();
        await this.answers.relay(answerId, lastEventId ?? 0, sse, reply.request.id);
      },
    });
    return undefined;
  }

  /**
   * A turn answered once it is stored (as JSON, or in a seed route's shape), under an optional
   * `Idempotency-Key`: a key used already answers with the turn it created, once its answer has finished.
   */
  async plain(
    caller: AuthUser,
    sessionId: string | null,
    request: TurnRequest,
    idempotencyKey: string | undefined,
  ): Promise<StoredTurn> {
    return this.idempotency.once(caller.id, idempotencyKey, {
      create: async (record) => {
        const turn = await this.turns.send(caller, sessionId, request);
        await record?.(turn.assistantMessage.id);
        return turn;
      },
      replay: (answerId) => this.stored(answerId),
    });
  }

  /** The turn of an answer, once the answer has finished. */
  private async stored(answerId: string): Promise<StoredTurn> {
    const answer = await this.answers.finished(answerId);
    const question = answer?.parentId && (await this.messages.inSession(answer.sessionId, answer.parentId));
    if (!answer || !question) throw new MessageNotFoundException();
    const [userMessage] = await this.messages.withSiblings([question]);
    return { userMessage, assistantMessage: answer };
  }
}

/** A `Last-Event-ID` (or `last_event_id`): the id of the last event a client has, a whole number. */
export function parseLastEventId(value: string, field: string): number {
  if (!/^\d{1,15}$/.test(value.trim())) {
    throw new RequestValidationException([
      { field, message: `${field} must be the id of an event (a whole number)` },
    ]);
  }
  return Number(value.trim());
}
