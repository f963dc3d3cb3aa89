import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import type { LlmRequest } from '../llm/llm-provider.js';
import { estimateTokens } from '../llm/token-estimate.js';
import type { ChatSession } from '../chat-sessions/chat-session.js';
import type { Message } from './message.js';
import { type AskedQuestion, type EarlierTurn, MessagesService } from './messages.service.js';
import { RecentTurns } from './recent-turns.js';

/** A question just stored, its session, and the request that carries it to the provider. */
export interface QuestionInContext {
  session: ChatSession;
  question: Message;
  request: LlmRequest;
}

/** Characters per estimated token, the same ratio as {@link estimateTokens}. */
const CHARS_PER_TOKEN = 4;

/**
 * What the provider sees: the system prompt, then as many of the latest complete turns as fit the
 * LLM_CONTEXT_TOKENS budget (newest kept first), then the new question. Failed turns are left out.
 * The turns come from this server's {@link RecentTurns} and, for what it does not hold, from the
 * question's own statement.
 */
@Injectable()
export class ChatContextService {
  constructor(
    private readonly messages: MessagesService,
    private readonly recentTurns: RecentTurns,
    private readonly config: AppConfig,
  ) {}

  /**
   * Stores a question in one of the caller's sessions and builds its request.
   * SessionNotFoundException when the session is not the caller's.
   */
  async ask(userId: string, sessionId: string, content: string): Promise<QuestionInContext> {
    const historyChars = this.historyChars(content, null); // the system prompt is not known yet
    const known = this.recentTurns.known(sessionId);
    const asked = await this.messages.ask(userId, sessionId, content, historyChars, known);
    const earlierTurns = this.recentTurns.merge(sessionId, known, asked, historyChars);
    return { session: asked.session, question: asked.question, request: this.build(asked, earlierTurns) };
  }

  /** The characters earlier turns may take beside a question and a system prompt. */
  private historyChars(question: string, systemPrompt: string | null): number {
    const fixed = estimateTokens(question) + (systemPrompt ? estimateTokens(systemPrompt) : 0);
    return Math.max(0, this.config.llm.contextTokens - fixed) * CHARS_PER_TOKEN;
  }

  /** The request for an asked question, from the candidate turns before it (oldest first). */
  private build(
    { session, question, contextChars }: AskedQuestion,
    earlierTurns: readonly EarlierTurn[],
  ): LlmRequest {
    const lowest = contextChars - this.historyChars(question.content, session.systemPrompt);
    const history = earlierTurns
      .filter((turn) => turn.turnStart >= lowest) // the system prompt's share drops the oldest turns
      .flatMap((turn) => [
        { role: 'user' as const, content: turn.prompt },
        { role: 'assistant' as const, content: turn.answer },
      ]);
    return {
      model: session.model ?? undefined,
      system: session.systemPrompt ?? undefined,
      messages: [...history, { role: 'user', content: question.content }],
    };
  }
}
