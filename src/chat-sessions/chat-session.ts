import type { LlmProviderName } from '../llm/llm-provider.js';

/** A chat session (table `chat_sessions`, created by the migrations); timestamps are ISO-8601 UTC strings. */
export interface ChatSession {
  id: string;
  userId: string;
  title: string | null;
  systemPrompt: string | null;
  /** The provider asked for; null means the server's default. */
  provider: LlmProviderName | null;
  model: string | null;
  messageCount: number;
  createdAt: string;
  /** Last activity: creation, an edit, or a message. Sessions list by it, newest first. */
  updatedAt: string;
}
