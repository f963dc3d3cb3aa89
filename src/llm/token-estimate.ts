import type { LlmMessage } from './llm-provider.js';

/** Tokens added for each message's role and framing. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** Rough token count of bare text: one token per four characters, rounded up. */
export function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Rough token count of one message: its text plus {@link MESSAGE_OVERHEAD_TOKENS}. */
export function estimateTokens(text: string): number {
  return estimateTextTokens(text) + MESSAGE_OVERHEAD_TOKENS;
}

/** Rough token count of a prompt: the system prompt (when set) and every message. */
export function estimatePromptTokens(system: string | undefined, messages: readonly LlmMessage[]): number {
  const systemTokens = system ? estimateTokens(system) : 0;
  return messages.reduce((sum, message) => sum + estimateTokens(message.content), systemTokens);
}
