export type MessageRole = 'user' | 'assistant';
export type MessageStatus = 'complete' | 'streaming' | 'failed';

/**
 * A message as the services return it, read from table `messages` (described by the `Message` entity,
 * message.entity.ts); `createdAt` is an ISO-8601 UTC string.
 */
export interface MessageRecord {
  id: string;
  /** Insertion order across the whole table: a session's messages list by it (keyset), answers after questions. */
  seq: string;
  sessionId: string;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  /** For an answer: the user message it answers. */
  replyTo: string | null;
  provider: string | null;
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number | null;
  error: string | null;
  createdAt: string;
}

/** What a page of messages carries: what the API shows of each message, and its position. */
export type ListedMessage = Omit<MessageRecord, 'replyTo' | 'latencyMs'>;
