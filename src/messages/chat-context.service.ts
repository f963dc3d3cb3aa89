import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import type { LlmRequest } from '../llm/llm-provider.js';
import { estimateTokens } from '../llm/token-estimate.js';
import type { AskedQuestion, EarlierTurn } from './messages.service.js';

/** Characters per estimated token, the same ratio as {@link estimateTokens}. */
const CHARS_PER_TOKEN = 4;

/**
 * What the provider sees: the system prompt, then as many of the latest complete turns as fit the
 * LLM_CONTEXT_TOKENS budget (newest kept first), then the new question. Failed turns are left out.
 */
@Injectable()
export class ChatContextService {
  constructor(private readonly config: AppConfig) {}

  /**
   * The characters earlier turns may take beside a question and a system prompt. Before the session is
   * read, `historyChars(question, null)` bounds what {@link MessagesService.ask} reads.
   */
  historyChars(question: string, systemPrompt: string | null): number {
    const fixed = estimateTokens(question) + (systemPrompt ? estimateTokens(systemPrompt) : 0);
    return Math.max(0, this.config.llm.contextTokens - fixed) * CHARS_PER_TOKEN;
  }

  /** The request for an asked question, from the candidate turns before it (oldest first). */
  build(
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
