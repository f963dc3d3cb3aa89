import { BadRequestException, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../auth/auth-user.js';
import { acceptsEventStream } from '../common/accept.js';
import { RequestValidationException } from '../common/exceptions.js';
import { SseStream } from '../common/sse-stream.js';
import { AnswerStreamsService } from './answer-streams.service.js';
import { ChatStreamService } from './chat-stream.service.js';
import { ChatTurnService, type TurnRequest } from './chat-turn.service.js';
import { ChatTurnDto, MessageDto } from './dto/message.dto.js';
import { IdempotencyService } from './idempotency.service.js';
import { MessageNotFoundException } from './message.errors.js';
import { MessagesService } from './messages.service.js';

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
    if (call.idempotencyKey === undefined) {
      if (lastEventId !== undefined) throw new ResumeByPostException();
      return this.create(call, request, null);
    }
    const claim = await this.idempotency.claim(call.caller.id, call.idempotencyKey);
    if (claim.kind === 'replay') return this.replay(call, claim.answerId, lastEventId ?? 0);
    try {
      return await this.create(call, request, claim.keyId);
    } catch (error) {
      await this.idempotency.forget(claim.keyId);
      throw error;
    }
  }

  private async create(
    call: TurnCall,
    request: TurnRequest,
    keyId: string | null,
  ): Promise<ChatTurnDto | undefined> {
    const { caller, sessionId, reply } = call;
    if (acceptsEventStream(call.accept)) {
      const record =
        keyId === null ? undefined : (answerId: string) => this.idempotency.record(keyId, answerId);
      await this.streams.stream(caller, sessionId, request, new SseStream(reply), reply.request.id, record);
      return undefined;
    }
    const turn = await this.turns.send(caller, sessionId, request);
    if (keyId !== null) await this.idempotency.record(keyId, turn.assistantMessage.id);
    return {
      user_message: MessageDto.from(turn.userMessage),
      assistant_message: MessageDto.from(turn.assistantMessage),
    };
  }

  /** The turn a key created: streamed from after `lastEventId`, or, once its answer has finished, as JSON. */
  private async replay(
    call: TurnCall,
    answerId: string,
    lastEventId: number,
  ): Promise<ChatTurnDto | undefined> {
    const { reply } = call;
    if (acceptsEventStream(call.accept)) {
      const sse = new SseStream(reply);
      sse.open();
      await this.answers.relay(answerId, lastEventId, sse, reply.request.id);
      return undefined;
    }
    const answer = await this.answers.finished(answerId);
    const question = answer?.parentId && (await this.messages.inSession(answer.sessionId, answer.parentId));
    if (!answer || !question) throw new MessageNotFoundException();
    const [userMessage] = await this.messages.withSiblings([question]);
    return { user_message: MessageDto.from(userMessage), assistant_message: MessageDto.from(answer) };
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
