import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import type { ChatSession } from '../chat-sessions/chat-session.js';
import type { LlmRequest } from '../llm/llm-provider.js';
import { estimateTokens } from '../llm/token-estimate.js';
import type { Message } from './message.js';
import { MessagesService } from './messages.service.js';

/** Characters per estimated token, the same ratio as {@link estimateTokens}. */
const CHARS_PER_TOKEN = 4;

/**
 * What the provider sees: the system prompt, then as many of the latest complete turns as fit the
 * LLM_CONTEXT_TOKENS budget (newest kept first), then the new question. Failed turns are left out.
 */
@Injectable()
export class ChatContextService {
  constructor(
    private readonly messages: MessagesService,
    private readonly config: AppConfig,
  ) {}

  async build(session: ChatSession, question: Message): Promise<LlmRequest> {
    const fixed =
      estimateTokens(question.content) + (session.systemPrompt ? estimateTokens(session.systemPrompt) : 0);
    const budgetTokens = Math.max(0, this.config.llm.contextTokens - fixed);
    const history = await this.messages.recentTurns(session.id, question.seq, budgetTokens * CHARS_PER_TOKEN);
    return {
      model: session.model ?? undefined,
      system: session.systemPrompt ?? undefined,
      messages: [...history, { role: 'user', content: question.content }],
    };
  }
}
