import type { LlmProviderName } from '../llm/llm-provider.js';

/**
 * A chat session as the services return it, read from table `chat_sessions` (described by the
 * `ChatSession` entity, chat-session.entity.ts); timestamps are ISO-8601 UTC strings.
 */
export interface ChatSessionRecord {
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
  /** The last message of the path the session shows; null while it has none. */
  activeLeafId: string | null;
}
