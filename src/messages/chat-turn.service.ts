import { HttpException, Injectable, Logger } from '@nestjs/common';
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
import { ChatContextService } from './chat-context.service.js';
import type { Message } from './message.js';
import { MessagesService, type NewQuestion, type TurnSession } from './messages.service.js';
import { ProviderFailedException } from './provider-failed.exception.js';
import { ShutdownSignal } from './shutdown-signal.js';

export interface ChatTurn {
  session: TurnSession;
  userMessage: Message;
  assistantMessage: Message;
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

const TITLE_LENGTH = 60;

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
   * one, else storing the question with it), and returns the HTTP error to report.
   */
  async fail(
    turn: TurnTarget,
    error: unknown,
    partialText: string,
    streamingMessageId?: string,
  ): Promise<HttpException> {
    if (error instanceof SessionNotFoundException) return error; // deleted while answering: nothing to record
    const cause = error instanceof LlmError ? error : this.unexpected(turn.providerName, error);
    const answer = {
      content: partialText,
      status: 'failed' as const,
      model: turn.model,
      latencyMs: Date.now() - turn.startedAt,
      error: cause.message,
    };
    try {
      if (streamingMessageId) await this.messages.finishAnswer(streamingMessageId, answer);
      else
        await this.messages.addTurn(turn.session.id, turn.question, {
          ...answer,
          provider: turn.providerName,
        });
    } catch (storeError) {
      if (storeError instanceof SessionNotFoundException) return storeError;
      throw storeError;
    }
    return new ProviderFailedException(cause, turn.session.id);
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

/** After a complete answer, a session without a title takes one from its first answered question. */
export function sessionTitleFor(turn: TurnTarget): string | null {
  return turn.session.title === null ? titleFrom(turn.question.content) : null;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * The question's first characters, on one line, at most TITLE_LENGTH UTF-16 units. A long one is cut
 * between two graphemes (what a reader sees as a character): never inside a surrogate pair, which
 * PostgreSQL would store as U+FFFD, nor inside an emoji sequence or before a combining accent.
 */
export function titleFrom(content: string): string {
  const line = content.replace(/\s+/g, ' ').trim();
  if (line.length <= TITLE_LENGTH) return line;
  let end = 0;
  for (const { index, segment } of graphemes.segment(line)) {
    if (index + segment.length > TITLE_LENGTH - 1) break;
    end = index + segment.length;
  }
  return `${line.slice(0, end).trimEnd()}…`;
}
