import { HttpException, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthUser } from '../auth/auth-user.js';
import { SessionNotFoundException } from '../chat-sessions/chat-session.errors.js';
import { ChatSessionsService } from '../chat-sessions/chat-sessions.service.js';
import {
  LlmError,
  type LlmProvider,
  type LlmProviderName,
  type LlmRequest,
  type LlmResult,
} from '../llm/llm-provider.js';
import { LlmRegistry } from '../llm/llm-registry.js';
import { DatabaseUnavailableException, isDatabaseUnavailable } from '../database/database-errors.js';
import { ChatContextService } from './chat-context.service.js';
import type { MessageRecord } from './message.js';
import { MessagesService, type NewAnswer, type NewQuestion, type TurnSession } from './messages.service.js';
import { ProviderFailedException } from './provider-failed.exception.js';
import { sessionTitleFor } from './session-title.js';
import { SessionTitlesService } from './session-titles.service.js';
import { ShutdownSignal } from './shutdown-signal.js';

export { sessionTitleFor, titleFrom } from './session-title.js';

export interface ChatTurn {
  session: TurnSession;
  userMessage: MessageRecord;
  assistantMessage: MessageRecord;
}

/** A question, its session, and who answers it. */
export interface TurnTarget {
  session: TurnSession;
  question: NewQuestion;
  providerName: LlmProviderName;
  model: string | null;
  startedAt: number;
}

/** A turn ready for its provider call: the context built. */
export interface PreparedTurn extends TurnTarget {
  provider: LlmProvider;
  request: LlmRequest;
}

type FailedAnswer = Omit<NewAnswer, 'provider'> & { status: 'failed' };

/** The error recorded on an answer that was complete but could not be stored. */
const ANSWER_NOT_STORED = 'The answer could not be stored: the database was unavailable.';

/** 0.5, 1, 2, 4, 8 s, then every 15 s: about five minutes in all. */
const STORE_RETRY_DELAYS_MS = Array.from({ length: 24 }, (_, i) => Math.min(500 * 2 ** i, 15_000));

/**
 * One exchange: build the context, ask the provider, store the question with the answer, its usage and
 * latency. On failure the question is stored with its answer as `failed` with the error, and a
 * ProviderFailedException (502/503/504) is thrown. A client that goes away does not stop the turn.
 */
@Injectable()
export class ChatTurnService {
  private readonly logger = new Logger(ChatTurnService.name);

  constructor(
    private readonly sessions: ChatSessionsService,
    private readonly messages: MessagesService,
    private readonly context: ChatContextService,
    private readonly llm: LlmRegistry,
    private readonly shutdown: ShutdownSignal,
    private readonly titles: SessionTitlesService,
  ) {}

  /** Sends a message to a session (a new session when `sessionId` is null) and waits for the answer. */
  async send(caller: AuthUser, sessionId: string | null, content: string): Promise<ChatTurn> {
    const turn = await this.prepare(caller, sessionId, content);
    return this.shutdown.track(this.complete(turn));
  }

  private async complete(turn: PreparedTurn): Promise<ChatTurn> {
    let result: LlmResult;
    try {
      result = await turn.provider.complete(turn.request, this.shutdown.signal);
    } catch (error) {
      throw await this.fail(turn, error, '');
    }
    const stored = await this.messages.addTurn(turn.session.id, turn.question, {
      provider: turn.providerName,
      model: result.model,
      status: 'complete',
      content: result.text,
      result,
      latencyMs: Date.now() - turn.startedAt,
      sessionTitle: sessionTitleFor(turn),
    });
    this.titles.nameAfterFirstAnswer(turn, result.text);
    return { session: turn.session, userMessage: stored.question, assistantMessage: stored.answer };
  }

  /** Resolves everything the provider call needs (nothing is stored yet). */
  async prepare(caller: AuthUser, sessionId: string | null, content: string): Promise<PreparedTurn> {
    const id = sessionId ?? (await this.sessions.create(caller.id, {})).id;
    const { session, askedAt, request } = await this.context.requestFor(caller.id, id, content);
    const target: TurnTarget = {
      session,
      question: { content, askedAt },
      providerName: session.provider ?? this.llm.defaultProvider,
      model: session.model,
      startedAt: Date.now(),
    };
    let provider: LlmProvider;
    try {
      provider = this.llm.resolve(target.providerName);
    } catch (error) {
      throw await this.fail(target, error, '');
    }
    return { ...target, provider, model: session.model ?? provider.defaultModel, request };
  }

  /**
   * Records a failed answer, keeping any partial text (updating the `streaming` message when there is
   * one, else storing the question with it), and returns the HTTP error to report. A `streaming` answer
   * that cannot be updated because the database is away is recorded once it is back
   * ({@link failWhenBack}); its question is already stored.
   */
  async fail(
    turn: TurnTarget,
    error: unknown,
    partialText: string,
    streamingMessageId?: string,
  ): Promise<HttpException> {
    if (error instanceof SessionNotFoundException) return error; // deleted while answering: nothing to record
    // null: the answer was complete, and storing it failed because the database is away.
    const cause =
      error instanceof LlmError
        ? error
        : isDatabaseUnavailable(error)
          ? null
          : this.unexpected(turn.providerName, error);
    const answer: FailedAnswer = {
      content: partialText,
      status: 'failed',
      model: turn.model,
      latencyMs: Date.now() - turn.startedAt,
      error: cause?.message ?? ANSWER_NOT_STORED,
    };
    const failure = cause
      ? new ProviderFailedException(cause, turn.session.id)
      : new DatabaseUnavailableException();
    try {
      if (streamingMessageId) await this.messages.finishAnswer(streamingMessageId, answer);
      else
        await this.messages.addTurn(turn.session.id, turn.question, {
          ...answer,
          provider: turn.providerName,
        });
    } catch (storeError) {
      if (storeError instanceof SessionNotFoundException) return storeError;
      if (!streamingMessageId || !isDatabaseUnavailable(storeError)) throw storeError;
      void this.failWhenBack(streamingMessageId, answer);
    }
    return failure;
  }

  /**
   * Retries recording a `streaming` answer as failed while the database is unavailable, for about five
   * minutes ({@link STORE_RETRY_DELAYS_MS}); stops when the server shuts down (the answer then stays
   * `streaming`, as after a crash).
   */
  private async failWhenBack(answerId: string, answer: FailedAnswer): Promise<void> {
    for (const delayMs of STORE_RETRY_DELAYS_MS) {
      try {
        await sleep(delayMs, undefined, { signal: this.shutdown.signal });
        await this.messages.finishAnswer(answerId, answer);
        return;
      } catch (error) {
        if (this.shutdown.signal.aborted || error instanceof SessionNotFoundException) return;
        if (!isDatabaseUnavailable(error)) {
          this.logger.error({ err: error, message_id: answerId }, 'could not record a failed answer');
          return;
        }
      }
    }
    this.logger.error({ message_id: answerId }, 'gave up recording a failed answer: no database');
  }

  private unexpected(provider: LlmProviderName, error: unknown): LlmError {
    this.logger.error({ err: error, provider }, 'provider call failed unexpectedly');
    if (this.shutdown.signal.aborted || (error instanceof Error && error.name === 'AbortError')) {
      return new LlmError(
        'interrupted',
        'The answer was interrupted because the server is shutting down.',
        provider,
      );
    }
    return new LlmError('upstream', 'The provider call failed unexpectedly.', provider);
  }
}
