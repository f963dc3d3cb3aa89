import type { LlmProviderName } from '../llm/llm-provider.js';
import type { MessageRecord } from '../messages/message.js';

/** A message to import, placed in its tree: `key` is its id in the file, `parentKey` its kept parent's. */
export type ImportedMessage = Pick<
  MessageRecord,
  | 'depth'
  | 'role'
  | 'content'
  | 'status'
  | 'provider'
  | 'model'
  | 'promptTokens'
  | 'completionTokens'
  | 'error'
> & { key: string; parentKey: string | null; createdAt: Date };

/** A conversation of an import file, whatever its format, ready to store as one session. */
export interface ImportedConversation {
  /** `chatgpt:<conversation id>` or `chatbot:<session id>`: the same conversation imported twice is skipped. */
  sourceId: string;
  title: string | null;
  systemPrompt: string | null;
  provider: LlmProviderName | null;
  model: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Parents before children, siblings oldest first: the order they are stored in (their `seq`). */
  messages: ImportedMessage[];
  /** The key of the message the session shows the path to; null for an empty conversation. */
  activeLeafKey: string | null;
  /** Messages left out: system, tool and hidden messages, nodes without a message, messages without text. */
  skippedMessages: number;
  /** Parts left out of kept messages: images and other non-text parts. */
  skippedParts: number;
}

/** Why one conversation of a file cannot be imported (the others still are). */
export class ConversationError extends Error {}

/** The longest text an imported message may have: ten times what a question sent here may be. */
export const MAX_IMPORTED_CONTENT = 1_000_000;
/** The longest title a session stores (its column). */
export const MAX_TITLE = 200;
