import { unstorableTextReason } from '../common/validation.js';
import type { ChatSession } from '../chat-sessions/chat-session.entity.js';
import { LLM_PROVIDER_NAMES } from '../config/llm-provider-names.js';
import type { LlmProviderName } from '../llm/llm-provider.js';
import { modelNameProblem } from '../llm/model-name.js';
import type { Message } from '../messages/message.entity.js';
import type { MessageStatus } from '../messages/message.js';
import { type MessageBody, placeTree, type TreeNodeInput } from './conversation-tree.js';
import { EXPORT_FORMAT, type SessionExportDto } from './dto/transfer.dto.js';
import {
  ConversationError,
  type ImportedConversation,
  MAX_IMPORTED_CONTENT,
  MAX_TITLE,
} from './imported-conversation.js';

/** A session and all its messages (in `seq` order) in the export format. */
export function toExport(session: ChatSession, messages: Message[]): SessionExportDto {
  return {
    format: EXPORT_FORMAT,
    id: session.id,
    title: session.title,
    system_prompt: session.systemPrompt,
    provider: session.provider,
    model: session.model,
    active_leaf_id: session.activeLeafId,
    source_id: session.sourceId,
    created_at: session.createdAt.toISOString(),
    updated_at: session.updatedAt.toISOString(),
    messages: messages.map((m) => ({
      id: m.id,
      parent_id: m.parentId,
      role: m.role,
      content: m.content,
      status: m.status,
      provider: m.provider,
      model: m.model,
      usage:
        m.promptTokens !== null || m.completionTokens !== null
          ? { prompt_tokens: m.promptTokens, completion_tokens: m.completionTokens }
          : null,
      error: m.error,
      created_at: m.createdAt.toISOString(),
    })),
  };
}

/** The active path of an exported session as Markdown: a heading per message. */
export function toMarkdown(exported: SessionExportDto): string {
  const byId = new Map(exported.messages.map((m) => [m.id, m]));
  const path: SessionExportDto['messages'] = [];
  for (let id = exported.active_leaf_id; id !== null;) {
    const message = byId.get(id);
    if (!message) break;
    path.push(message);
    id = message.parent_id;
  }
  const lines = [`# ${exported.title ?? 'Untitled conversation'}`, ''];
  if (exported.system_prompt)
    lines.push(`> **System prompt:** ${exported.system_prompt.replace(/\n/g, '\n> ')}`, '');
  for (const message of path.reverse()) {
    const who = message.role === 'user' ? 'User' : `Assistant${message.model ? ` (${message.model})` : ''}`;
    const failed = message.status === 'failed' ? ` — failed${message.error ? `: ${message.error}` : ''}` : '';
    lines.push(`## ${who}${failed}`, '', `*${message.created_at}*`, '', message.content, '');
  }
  return lines.join('\n');
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads one field of the file; ConversationError naming it when it is not what `check` allows. */
function field<T>(object: Json, name: string, check: (value: unknown) => value is T, expected: string): T {
  const value = object[name];
  if (!check(value)) throw new ConversationError(`${name} must be ${expected}`);
  if (typeof value === 'string') {
    const unstorable = unstorableTextReason(value);
    if (unstorable) throw new ConversationError(`${name}: ${unstorable}`);
  }
  return value;
}

const text =
  (max: number, nullable = true) =>
  (value: unknown): value is string | null =>
    (nullable && value === null) || (typeof value === 'string' && value.length <= max);
const id = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= 100;
const nullableId = (value: unknown): value is string | null => value === null || id(value);
const tokens = (value: unknown): value is number | null =>
  value === null || value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0);
const provider = (value: unknown): value is LlmProviderName | null =>
  value === null || (LLM_PROVIDER_NAMES as readonly unknown[]).includes(value);
const timestamp = (value: unknown): value is string =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value));
const STATUSES: MessageStatus[] = ['complete', 'failed', 'streaming'];

export const isSessionExport = (value: Json): boolean => 'format' in value;

function messageOf(value: unknown, index: number): TreeNodeInput {
  if (!isObject(value)) throw new ConversationError(`messages[${index}] must be an object`);
  const at = (name: string) => `messages[${index}].${name}`;
  const read = <T>(name: string, check: (v: unknown) => v is T, expected: string): T => {
    try {
      return field(value, name, check, expected);
    } catch (error) {
      throw new ConversationError(at((error as Error).message));
    }
  };
  const role = read(
    'role',
    (v): v is 'user' | 'assistant' => v === 'user' || v === 'assistant',
    '"user" or "assistant"',
  );
  const status = read(
    'status',
    (v): v is MessageStatus => STATUSES.includes(v as MessageStatus),
    'complete, failed or streaming',
  );
  const usage = value.usage ?? null;
  if (
    usage !== null &&
    (!isObject(usage) || !tokens(usage.prompt_tokens) || !tokens(usage.completion_tokens))
  )
    throw new ConversationError(`${at('usage')} must be null or {prompt_tokens, completion_tokens}`);
  const body: MessageBody = {
    role,
    content: read(
      'content',
      text(MAX_IMPORTED_CONTENT, false),
      `text of at most ${MAX_IMPORTED_CONTENT} characters`,
    ) as string,
    // An answer still being generated when exported will never be finished here.
    status: status === 'streaming' ? 'failed' : status,
    provider: read('provider', text(16), 'null or up to 16 characters'),
    model: read('model', text(100), 'null or up to 100 characters'),
    promptTokens: (usage?.prompt_tokens as number | null | undefined) ?? null,
    completionTokens: (usage?.completion_tokens as number | null | undefined) ?? null,
    error:
      read('error', text(10_000), 'null or text') ??
      (status === 'streaming' ? 'Interrupted before export.' : null),
    createdAt: new Date(read('created_at', timestamp, 'an ISO 8601 time')),
  };
  return {
    key: read('id', id, 'an id'),
    parentKey: read('parent_id', nullableId, 'an id or null'),
    message: body,
  };
}

/** The session's model, a name its provider takes (as the session routes check it). */
function sessionModel(value: Json, sessionProvider: LlmProviderName | null): string | null {
  const model = field(value, 'model', text(100), 'null or up to 100 characters');
  const problem = model === null ? undefined : modelNameProblem(sessionProvider ?? 'openai', model);
  if (problem) throw new ConversationError(problem);
  return model;
}

/** A session of our export format as one to import. ConversationError naming the field that is wrong. */
export function fromExport(value: Json): ImportedConversation {
  if (value.format !== EXPORT_FORMAT) throw new ConversationError(`format must be "${EXPORT_FORMAT}"`);
  const messages = field(value, 'messages', Array.isArray, 'an array');
  const placed = placeTree(
    messages.map((m, i) => messageOf(m, i)),
    field(value, 'active_leaf_id', nullableId, 'a message id or null'),
    'file',
  );
  const sourceId = value.source_id ?? null;
  const sessionProvider = field(
    value,
    'provider',
    provider,
    `null or one of ${LLM_PROVIDER_NAMES.join(', ')}`,
  );
  return {
    sourceId:
      typeof sourceId === 'string' && id(sourceId.slice(0, 100)) && sourceId.length <= 200
        ? sourceId
        : `chatbot:${field(value, 'id', id, 'an id')}`,
    title: field(value, 'title', text(MAX_TITLE), `null or up to ${MAX_TITLE} characters`),
    systemPrompt: field(value, 'system_prompt', text(20_000), 'null or up to 20,000 characters'),
    provider: sessionProvider,
    model: sessionModel(value, sessionProvider),
    createdAt: new Date(field(value, 'created_at', timestamp, 'an ISO 8601 time')),
    updatedAt: new Date(field(value, 'updated_at', timestamp, 'an ISO 8601 time')),
    messages: placed.messages,
    activeLeafKey: placed.activeLeafKey,
    skippedMessages: 0,
    skippedParts: 0,
  };
}
