import { createHash } from 'node:crypto';
import { unstorableTextReason } from '../common/validation.js';
import { type MessageBody, placeTree, type TreeNodeInput } from './conversation-tree.js';
import {
  ConversationError,
  type ImportedConversation,
  MAX_IMPORTED_CONTENT,
  MAX_TITLE,
} from './imported-conversation.js';

/**
 * A conversation of ChatGPT's data export (`conversations.json`): `mapping` holds its nodes by id, each
 * with `parent`, `children` and `message` (`author.role`, `content.content_type` and `parts`,
 * `create_time` in seconds, `metadata`); `current_node` is the node the conversation shows.
 */
export const isChatGptConversation = (value: Record<string, unknown>): boolean => 'mapping' in value;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Seconds since the epoch (ChatGPT's times) as a Date; null when absent or not a time. */
function timeOf(seconds: unknown): Date | null {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return null;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Kept: the text of a user's or an assistant's visible message to the user; everything else is left out. */
function messageOf(
  key: string,
  node: Json,
  fallbackTime: Date,
): { body: MessageBody | null; skippedParts: number } {
  const message = node.message;
  if (!isObject(message)) return { body: null, skippedParts: 0 };
  const role = isObject(message.author) ? message.author.role : undefined;
  const metadata = isObject(message.metadata) ? message.metadata : {};
  const toTool = typeof message.recipient === 'string' && message.recipient !== 'all';
  if ((role !== 'user' && role !== 'assistant') || toTool || metadata.is_visually_hidden_from_conversation)
    return { body: null, skippedParts: 0 };
  const content = isObject(message.content) ? message.content : {};
  if (content.content_type !== 'text' && content.content_type !== 'multimodal_text')
    return { body: null, skippedParts: 0 };
  const parts = Array.isArray(content.parts) ? content.parts : [];
  const texts = parts.filter((part): part is string => typeof part === 'string');
  const skippedParts = parts.length - texts.length;
  const text = texts.join('\n\n');
  if (!/\S/.test(text)) return { body: null, skippedParts };
  if (text.length > MAX_IMPORTED_CONTENT)
    throw new ConversationError(`message ${key} is longer than ${MAX_IMPORTED_CONTENT} characters`);
  const unstorable = unstorableTextReason(text);
  if (unstorable) throw new ConversationError(`message ${key}: ${unstorable}`);
  const slug = metadata.model_slug;
  return {
    skippedParts,
    body: {
      role,
      content: text,
      status: 'complete',
      provider: null,
      model: role === 'assistant' && typeof slug === 'string' && slug.length <= 100 ? slug : null,
      promptTokens: null,
      completionTokens: null,
      error: null,
      createdAt: timeOf(message.create_time) ?? fallbackTime,
    },
  };
}

/** Its id; a conversation of an older export without one is known by its title and time. */
function sourceIdOf(conversation: Json): string {
  const id = conversation.id ?? conversation.conversation_id;
  if (typeof id === 'string' && id.length > 0 && id.length <= 180) return `chatgpt:${id}`;
  const digest = createHash('sha256')
    .update(JSON.stringify([conversation.title ?? null, conversation.create_time ?? null]))
    .digest('hex');
  return `chatgpt:sha256:${digest}`;
}

/** A ChatGPT conversation as one to import. ConversationError when its mapping is not a tree. */
export function fromChatGpt(conversation: Json): ImportedConversation {
  const { mapping } = conversation;
  if (!isObject(mapping)) throw new ConversationError('mapping must be an object of nodes');
  const createdAt = timeOf(conversation.create_time) ?? new Date();
  const nodes: TreeNodeInput[] = [];
  let skippedMessages = 0;
  let skippedParts = 0;
  for (const [key, node] of Object.entries(mapping)) {
    if (!isObject(node)) throw new ConversationError(`node ${key} must be an object`);
    const parent = node.parent ?? null;
    if (parent !== null && typeof parent !== 'string')
      throw new ConversationError(`the parent of node ${key} must be a node id or null`);
    const { body, skippedParts: parts } = messageOf(key, node, createdAt);
    if (!body) skippedMessages++;
    skippedParts += parts;
    nodes.push({ key, parentKey: parent, message: body });
  }
  const current = conversation.current_node;
  const { messages, activeLeafKey } = placeTree(nodes, typeof current === 'string' ? current : null, 'time');
  const newest = messages.reduce((time, m) => Math.max(time, m.createdAt.getTime()), createdAt.getTime());
  const title = typeof conversation.title === 'string' ? conversation.title.slice(0, MAX_TITLE) : null;
  return {
    sourceId: sourceIdOf(conversation),
    title: title && !unstorableTextReason(title) ? title : null,
    systemPrompt: null,
    provider: null,
    model: null,
    createdAt,
    updatedAt: timeOf(conversation.update_time) ?? new Date(newest),
    messages,
    activeLeafKey,
    skippedMessages,
    skippedParts,
  };
}
