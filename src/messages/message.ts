export type MessageRole = 'user' | 'assistant';
/** `stopped`: an answer the user stopped (`POST …/stop`), its partial text kept; it counts as complete in later contexts. */
export type MessageStatus = 'complete' | 'streaming' | 'failed' | 'stopped';

/**
 * A message as the services return it, read from table `messages` (the `Message` entity,
 * message.entity.ts); `createdAt` is an ISO-8601 UTC string.
 */
export interface MessageRecord {
  id: string;
  sessionId: string;
  /** Null for a session's first question; an answer's question; a question's previous answer. */
  parentId: string | null;
  /** The position on the path from the root (0 for a first question). */
  depth: number;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  provider: string | null;
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number | null;
  error: string | null;
  createdAt: string;
}

/** A message as the API lists it: with its siblings (the messages of the same parent, itself included, oldest first). */
export interface ListedMessage extends MessageRecord {
  siblingIds: string[];
}
