import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import type { LlmRequest } from '../llm/llm-provider.js';
import { estimateTokens } from '../llm/token-estimate.js';
import { MessagesService, type TurnSession } from './messages.service.js';

/** Characters per estimated token, the same ratio as {@link estimateTokens}. */
const CHARS_PER_TOKEN = 4;

/**
 * What the provider sees: the system prompt, then as many of the latest complete turns on the question's
 * path as fit the LLM_CONTEXT_TOKENS budget (newest kept first), then the question. Failed turns and
 * other branches are left out. Only the turns that can fit are read, however long the history
 * (see {@link MessagesService.contextTurns}).
 */
@Injectable()
export class ChatContextService {
  constructor(
    private readonly messages: MessagesService,
    private readonly config: AppConfig,
  ) {}

  /**
   * The request for a question whose parent is `parentId` (null: a first question) in a session,
   * for `model` (null: the session's, else the provider's default). Nothing is stored.
   */
  async requestFor(
    session: TurnSession,
    parentId: string | null,
    question: string,
    model: string | null,
  ): Promise<LlmRequest> {
    const turns = await this.messages.contextTurns(
      parentId,
      this.historyChars(question, session.systemPrompt),
    );
    return {
      model: model ?? undefined,
      system: session.systemPrompt ?? undefined,
      messages: [
        ...turns.flatMap((turn) => [turn.question, turn.answer]),
        { role: 'user', content: question },
      ],
    };
  }

  /** The characters earlier turns may take beside a question and a system prompt. */
  private historyChars(question: string, systemPrompt: string | null): number {
    const fixed = estimateTokens(question) + (systemPrompt ? estimateTokens(systemPrompt) : 0);
    return Math.max(0, this.config.llm.contextTokens - fixed) * CHARS_PER_TOKEN;
  }
}
