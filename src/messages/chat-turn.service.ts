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
import { RequestValidationException } from '../common/exceptions.js';
import type { ListedMessage, MessageRecord } from './message.js';
import { WrongRoleException } from './message.errors.js';
import { MessagesService, type NewAnswer, type TreeNode, type TurnSession } from './messages.service.js';
import { ProviderFailedException } from './provider-failed.exception.js';
import { questionText, sessionTitleFor } from './session-title.js';
import { SessionTitlesService } from './session-titles.service.js';
import { ShutdownSignal } from './shutdown-signal.js';
import { TurnAdmission } from '../usage/turn-admission.service.js';

export { sessionTitleFor, titleFrom } from './session-title.js';

export interface ChatTurn {
  session: TurnSession;
  userMessage: ListedMessage;
  assistantMessage: ListedMessage;
}

/** What a turn is asked to do. */
export type TurnRequest =
  /** A new question, under the session's active leaf, or under `parentId` (an answer; null: a first question). */
  | { kind: 'ask'; content: string; parentId?: string | null }
  /** A new version of a stored question (a sibling of it), answered. */
  | { kind: 'edit'; messageId: string; content: string }
  /** Another answer to the question of a stored answer, optionally from another provider or model. */
  | { kind: 'regenerate'; messageId: string; provider?: LlmProviderName; model?: string };

/** The question a turn answers: a new one, stored with its answer under `parent`, or a stored one. */
export type TurnQuestion =
  | {
      stored: false;
      parent: TreeNode | null;
      /** Whether `parent` is the session's active leaf, which the question follows if it moves. */
      followsLeaf: boolean;
      content: string;
      askedAt: Date;
    }
  | { stored: true; message: MessageRecord };

/** A question, its session, and who answers it. */
export interface TurnTarget {
  session: TurnSession;
  question: TurnQuestion;
  providerName: LlmProviderName;
  model: string | null;
  startedAt: number;
}

/** A turn ready for its provider call: the context built. */
export interface PreparedTurn extends TurnTarget {
  provider: LlmProvider;
  request: LlmRequest;
}

/** A `streaming` answer's final state, stored once the database is back ({@link ChatTurnService.finishWhenBack}). */
export type EndedAnswer = Omit<NewAnswer, 'provider'> & { status: 'failed' | 'stopped' };

type FailedAnswer = EndedAnswer & { status: 'failed' };

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
    private readonly admission: TurnAdmission,
  ) {}

  /** Asks in a session (a new session when `sessionId` is null) and waits for the answer. */
  async send(caller: AuthUser, sessionId: string | null, request: TurnRequest): Promise<ChatTurn> {
    const turn = await this.prepare(caller, sessionId, request);
    return this.shutdown.track(this.complete(turn));
  }

  private async complete(turn: PreparedTurn): Promise<ChatTurn> {
    let result: LlmResult;
    try {
      result = await turn.provider.complete(turn.request, this.shutdown.signal);
    } catch (error) {
      throw await this.fail(turn, error, '');
    }
    const stored = await this.store(turn, {
      provider: turn.providerName,
      model: result.model,
      status: 'complete',
      content: result.text,
      result,
      latencyMs: Date.now() - turn.startedAt,
      sessionTitle: sessionTitleFor(turn),
    });
    const [userMessage, assistantMessage] = await this.messages.withSiblings([
      stored.question,
      stored.answer,
    ]);
    this.titles.nameAfterFirstAnswer(turn, result.text);
    return { session: turn.session, userMessage, assistantMessage };
  }

  /** Stores the turn's answer, with its question when that is new. */
  async store(
    turn: TurnTarget,
    answer: NewAnswer,
  ): Promise<{ question: MessageRecord; answer: MessageRecord }> {
    const { question, session } = turn;
    if (question.stored)
      return { question: question.message, answer: await this.messages.addAnswer(question.message, answer) };
    return this.messages.addTurn(session.id, question.parent, question, answer, question.followsLeaf);
  }

  /**
   * Resolves everything the provider call needs (nothing is stored yet). First of all, a caller past the
   * rate limit or a token budget is refused (429), before any session is created or any provider called.
   */
  async prepare(caller: AuthUser, sessionId: string | null, request: TurnRequest): Promise<PreparedTurn> {
    await this.admission.admit(caller);
    const session = sessionId
      ? await this.messages.turnSession(caller.id, sessionId)
      : await this.newSession(caller);
    const { question, parentId } = await this.questionOf(session, request);
    const override = request.kind === 'regenerate' ? request : undefined;
    if (override) this.llm.assertUsable(override.provider ?? session.provider, override.model ?? null);
    const providerName = override?.provider ?? session.provider ?? this.llm.defaultProvider;
    // Another provider without a model named: that provider's default, not the session's model.
    const model = override?.model ?? (override?.provider ? null : session.model);
    const content = questionText({ question });
    const target: TurnTarget = { session, question, providerName, model, startedAt: Date.now() };
    let provider: LlmProvider;
    try {
      provider = this.llm.resolve(providerName);
    } catch (error) {
      throw await this.fail(target, error, '');
    }
    const llmRequest = await this.context.requestFor(session, parentId, content, model);
    return { ...target, provider, model: model ?? provider.defaultModel, request: llmRequest };
  }

  private async newSession(caller: AuthUser): Promise<TurnSession> {
    const created = await this.sessions.create(caller.id, {});
    return { ...created, activeLeaf: null };
  }

  /** The question a request answers, and the parent whose path is its context. */
  private async questionOf(
    session: TurnSession,
    request: TurnRequest,
  ): Promise<{ question: TurnQuestion; parentId: string | null }> {
    const askedAt = new Date();
    switch (request.kind) {
      case 'ask': {
        const parent = await this.parentFor(session, request.parentId);
        const followsLeaf = request.parentId === undefined;
        return {
          question: { stored: false, parent, followsLeaf, content: request.content, askedAt },
          parentId: parent?.id ?? null,
        };
      }
      case 'edit': {
        const edited = await this.messages.get(session.id, request.messageId);
        if (edited.role !== 'user') throw new WrongRoleException('edit');
        const parent = edited.parentId === null ? null : { id: edited.parentId, depth: edited.depth - 1 };
        return {
          question: { stored: false, parent, followsLeaf: false, content: request.content, askedAt },
          parentId: edited.parentId,
        };
      }
      case 'regenerate': {
        const answer = await this.messages.get(session.id, request.messageId);
        if (answer.role !== 'assistant' || answer.parentId === null)
          throw new WrongRoleException('regenerate');
        const message = await this.messages.get(session.id, answer.parentId);
        return { question: { stored: true, message }, parentId: message.parentId };
      }
    }
  }

  /** The parent of a new question: the session's active leaf, or the answer `parentId` names (null: none). */
  private async parentFor(
    session: TurnSession,
    parentId: string | null | undefined,
  ): Promise<TreeNode | null> {
    if (parentId === undefined) return session.activeLeaf;
    if (parentId === null) return null;
    const parent = await this.messages.inSession(session.id, parentId);
    if (!parent || parent.role !== 'assistant') {
      throw new RequestValidationException([
        { field: 'parent_id', message: 'parent_id must be an answer (an assistant message) of this session' },
      ]);
    }
    return parent;
  }

  /**
   * Records a failed answer, keeping any partial text (updating the `streaming` message when there is
   * one, else storing the question with it), and returns the HTTP error to report. A `streaming` answer
   * that cannot be updated because the database is away is recorded once it is back
   * ({@link finishWhenBack}); its question is already stored.
   */
  async fail(
    turn: TurnTarget,
    error: unknown,
    partialText: string,
    streamingMessageId?: string,
    reported?: LlmResult,
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
      result: reported, // the tokens the provider reported before the failure, if it did
      latencyMs: Date.now() - turn.startedAt,
      error: cause?.message ?? ANSWER_NOT_STORED,
    };
    const failure = cause
      ? new ProviderFailedException(cause, turn.session.id)
      : new DatabaseUnavailableException();
    try {
      if (streamingMessageId) await this.messages.finishAnswer(streamingMessageId, answer);
      else await this.store(turn, { ...answer, provider: turn.providerName });
    } catch (storeError) {
      if (storeError instanceof SessionNotFoundException) return storeError;
      if (!streamingMessageId || !isDatabaseUnavailable(storeError)) throw storeError;
      void this.finishWhenBack(streamingMessageId, answer);
    }
    return failure;
  }

  /**
   * Retries recording a `streaming` answer as failed or stopped while the database is unavailable, for
   * about five minutes ({@link STORE_RETRY_DELAYS_MS}); stops when the server shuts down (the answer then
   * stays `streaming`, as after a crash) or when it finished meanwhile.
   */
  async finishWhenBack(answerId: string, answer: EndedAnswer): Promise<void> {
    for (const delayMs of STORE_RETRY_DELAYS_MS) {
      try {
        await sleep(delayMs, undefined, { signal: this.shutdown.signal });
        await this.messages.finishAnswer(answerId, answer);
        return;
      } catch (error) {
        if (this.shutdown.signal.aborted || error instanceof SessionNotFoundException) return;
        if (!isDatabaseUnavailable(error)) {
          this.logger.error(
            { err: error, message_id: answerId },
            `could not record a ${answer.status} answer`,
          );
          return;
        }
      }
    }
    this.logger.error({ message_id: answerId }, `gave up recording a ${answer.status} answer: no database`);
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
