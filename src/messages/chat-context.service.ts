import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import type { LlmMessage, LlmRequest } from '../llm/llm-provider.js';
import { estimateTokens } from '../llm/token-estimate.js';
import { type ContextRead, MessagesService, type TurnSession } from './messages.service.js';

/** A question's session, when it was asked, and the request that carries it to the provider. */
export interface QuestionInContext {
  session: TurnSession;
  askedAt: string;
  request: LlmRequest;
}

/** Characters per estimated token, the same ratio as {@link estimateTokens}. */
const CHARS_PER_TOKEN = 4;

/**
 * What the provider sees: the system prompt, then as many of the latest complete turns as fit the
 * LLM_CONTEXT_TOKENS budget (newest kept first), then the new question. Failed turns are left out.
 * Only the turns that can fit are read, however long the history (see {@link MessagesService.readContext}).
 */
@Injectable()
export class ChatContextService {
  constructor(
    private readonly messages: MessagesService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Builds the request for a question to one of the caller's sessions (nothing is stored).
   * SessionNotFoundException when the session is not the caller's.
   */
  async requestFor(userId: string, sessionId: string, question: string): Promise<QuestionInContext> {
    const historyChars = this.historyChars(question, null); // the system prompt is not known yet
    const read = await this.messages.readContext(userId, sessionId, historyChars);
    return { session: read.session, askedAt: read.askedAt, request: this.build(read, question) };
  }

  /** The characters earlier turns may take beside a question and a system prompt. */
  private historyChars(question: string, systemPrompt: string | null): number {
    const fixed = estimateTokens(question) + (systemPrompt ? estimateTokens(systemPrompt) : 0);
    return Math.max(0, this.config.llm.contextTokens - fixed) * CHARS_PER_TOKEN;
  }

  /** The request for a question, from the candidate turns before it. */
  private build({ session, contextChars, turns }: ContextRead, question: string): LlmRequest {
    const lowest = contextChars - this.historyChars(question, session.systemPrompt);
    const messages: LlmMessage[] = [];
    for (const turn of turns) {
      if (turn.turnStart < lowest) continue; // the system prompt's share drops the oldest turns
      messages.push(turn.question, turn.answer);
    }
    messages.push({ role: 'user', content: question });
    return {
      model: session.model ?? undefined,
      system: session.systemPrompt ?? undefined,
      messages,
    };
  }
}
