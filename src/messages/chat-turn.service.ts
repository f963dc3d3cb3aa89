import { HttpException, Injectable, Logger } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import type { ChatSession } from '../chat-sessions/chat-session.js';
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
import { MessagesService } from './messages.service.js';
import { ProviderFailedException } from './provider-failed.exception.js';
import { ShutdownSignal } from './shutdown-signal.js';

export interface ChatTurn {
  session: ChatSession;
  userMessage: Message;
  assistantMessage: Message;
}

/** A stored question and who answers it. */
export interface TurnTarget {
  session: ChatSession;
  userMessage: Message;
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
 * One exchange: store the question, build the context, ask the provider, store the answer with usage
 * and latency. On failure the question stays, the answer is stored as `failed` with the error, and a
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
    const assistantMessage = await this.messages.addAnswer(turn.session.id, {
      replyTo: turn.userMessage.id,
      provider: turn.providerName,
      model: result.model,
      status: 'complete',
      content: result.text,
      result,
      latencyMs: Date.now() - turn.startedAt,
      sessionTitle: sessionTitleFor(turn),
    });
    return { session: turn.session, userMessage: turn.userMessage, assistantMessage };
  }

  /** Stores the question and resolves everything the provider call needs. */
  async prepare(caller: AuthUser, sessionId: string | null, content: string): Promise<PreparedTurn> {
    const id = sessionId ?? (await this.sessions.create(caller.id, {})).id;
    const { session, question: userMessage, request } = await this.context.ask(caller.id, id, content);
    const target: TurnTarget = {
      session,
      userMessage,
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
   * one), and returns the HTTP error to report.
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
        await this.messages.addAnswer(turn.session.id, {
          ...answer,
          replyTo: turn.userMessage.id,
          provider: turn.providerName,
        });
    } catch (storeError) {
      if (storeError instanceof SessionNotFoundException) return storeError;
      throw storeError;
    }
    return new ProviderFailedException(cause);
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
  return turn.session.title === null ? titleFrom(turn.userMessage.content) : null;
}

export function titleFrom(content: string): string {
  const line = content.replace(/\s+/g, ' ').trim();
  return line.length <= TITLE_LENGTH ? line : `${line.slice(0, TITLE_LENGTH - 1).trimEnd()}…`;
}
