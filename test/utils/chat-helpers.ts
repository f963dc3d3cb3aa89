import { expect } from '@jest/globals';
import type { Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { bearer, STRONG_PASSWORD, uniqueUsername } from './auth-helpers.js';

export {
  bearer,
  expectFieldProblem,
  expectProblem,
  expectSeedBody,
  STRONG_PASSWORD,
  UUID,
} from './auth-helpers.js';

export const SESSIONS = '/api/v1/chat-sessions';
export const messagesUrl = (sessionId: string): string => `${SESSIONS}/${sessionId}/messages`;

/** The server environment that makes the OpenAI wire fake at `baseUrl` the provider, without retries. */
export function openAiFakeEnv(baseUrl: string): Record<string, string> {
  return {
    OPENAI_API_KEY: 'test-key',
    OPENAI_BASE_URL: `${baseUrl}/v1`,
    LLM_PROVIDER: 'openai',
    LLM_MAX_RETRIES: '0',
  };
}

/** A session id that is well formed but belongs to nobody. */
export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** The native API's session object. */
export interface SessionBody {
  id: string;
  title: string | null;
  system_prompt: string | null;
  provider: string | null;
  model: string | null;
  message_count: number;
  created_at: string;
  updated_at: string;
  active_leaf_id: string | null;
}

/** The native API's message object. */
export interface MessageBody {
  id: string;
  session_id: string;
  role: 'user' | 'assistant';
  content: string;
  status: 'complete' | 'streaming' | 'failed' | 'stopped';
  provider: string | null;
  model: string | null;
  usage: { prompt_tokens: number | null; completion_tokens: number | null } | null;
  error: string | null;
  created_at: string;
  parent_id: string | null;
  sibling_ids: string[];
  sibling_index: number;
  sibling_count: number;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface ChatUser {
  id: string;
  username: string;
  /** The native access token. */
  access: string;
  /** `Bearer <access>`. */
  auth: string;
}

/** Registers through the native API and logs in; returns the user with its access token. */
export async function newUser(http: TestAgent, prefix = 'chat'): Promise<ChatUser> {
  const username = uniqueUsername(prefix);
  const reg = await http.post('/api/v1/auth/register').send({ username, password: STRONG_PASSWORD });
  expect(reg.status).toBe(201);
  const login = await http.post('/api/v1/auth/login').send({ username, password: STRONG_PASSWORD });
  expect(login.status).toBe(200);
  const access = login.body.access_token as string;
  return { id: reg.body.id as string, username, access, auth: bearer(access) };
}

/** The quick-chat family's opaque token (`Authorization: Token <token>`) of an existing user. */
export async function quickChatToken(http: TestAgent, username: string): Promise<string> {
  const res = await http.post('/api/v1/accounts/login/').send({ username, password: STRONG_PASSWORD });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

/** The sessions seed's access token (`/login/` → `{refresh, access}`) of an existing user. */
export async function seedAccessToken(http: TestAgent, username: string): Promise<string> {
  const res = await http.post('/login/').send({ username, password: STRONG_PASSWORD });
  expect(res.status).toBe(200);
  return res.body.access as string;
}

export async function createSession(
  http: TestAgent,
  auth: string,
  body: Record<string, unknown> = {},
): Promise<SessionBody> {
  const res = await http.post(SESSIONS).set('Authorization', auth).send(body);
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 201 });
  return res.body as SessionBody;
}

export interface Turn {
  user_message: MessageBody;
  assistant_message: MessageBody;
}

/** Sends a message and expects 201; returns the exchange. */
export async function sendMessage(
  http: TestAgent,
  auth: string,
  sessionId: string,
  content: string,
): Promise<Turn> {
  const res = await http.post(messagesUrl(sessionId)).set('Authorization', auth).send({ content });
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 201 });
  return res.body as Turn;
}

/** Every message of a session, following `next_cursor` page by page. */
export async function allMessages(
  http: TestAgent,
  auth: string,
  sessionId: string,
  limit = 100,
): Promise<MessageBody[]> {
  const messages: MessageBody[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page += 1) {
    const query: Record<string, string | number> = cursor ? { limit, cursor } : { limit };
    const res: Response = await http.get(messagesUrl(sessionId)).set('Authorization', auth).query(query);
    expect(res.status).toBe(200);
    const body = res.body as Page<MessageBody>;
    messages.push(...body.data);
    cursor = body.next_cursor;
    if (!cursor) return messages;
  }
  throw new Error('too many pages');
}

/** Every session of the caller in the native list, following `next_cursor`. */
/** The caller's usage totals this month (GET /api/v1/me/usage): tokens, answers and failures. */
export async function usageTotals(
  http: TestAgent,
  auth: string,
): Promise<{ answers: number; failures: number; prompt_tokens: number; completion_tokens: number }> {
  const res = await http.get('/api/v1/me/usage').set('Authorization', auth).expect(200);
  return res.body.totals;
}

export async function allSessions(http: TestAgent, auth: string, limit = 100): Promise<SessionBody[]> {
  const sessions: SessionBody[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page += 1) {
    const query: Record<string, string | number> = cursor ? { limit, cursor } : { limit };
    const res: Response = await http.get(SESSIONS).set('Authorization', auth).query(query);
    expect(res.status).toBe(200);
    const body = res.body as Page<SessionBody>;
    sessions.push(...body.data);
    cursor = body.next_cursor;
    if (!cursor) return sessions;
  }
  throw new Error('too many pages');
}

/** The echo provider's answer to `content` after `earlier` messages (without a system prompt). */
export function echoAnswer(content: string, earlier: number): string {
  return (
    `Echo provider (offline, no model called): you said "${content}". ` +
    `I can see ${earlier} earlier ${earlier === 1 ? 'message' : 'messages'} in this conversation.`
  );
}

/** Matches the "earlier messages" part of an echo answer. */
export function echoSaw(earlier: number): RegExp {
  return new RegExp(`I can see ${earlier} earlier messages?\\b`);
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Asserts the exact key set and the types of a native session object. */
export function expectSessionShape(session: unknown): void {
  expect(Object.keys(session as object).sort()).toEqual(
    [
      'active_leaf_id',
      'created_at',
      'id',
      'message_count',
      'model',
      'provider',
      'system_prompt',
      'title',
      'updated_at',
    ].sort(),
  );
  const s = session as SessionBody;
  expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
  for (const field of ['title', 'system_prompt', 'provider', 'model'] as const) {
    expect({ field, type: s[field] === null ? 'null' : typeof s[field] }).toEqual({
      field,
      type: expect.stringMatching(/^(null|string)$/),
    });
  }
  expect(typeof s.message_count).toBe('number');
  expect(s.created_at).toMatch(ISO);
  expect(s.updated_at).toMatch(ISO);
  expect(s.active_leaf_id === null || /^[0-9a-f-]{36}$/.test(s.active_leaf_id)).toBe(true);
}

/** Asserts the exact key set and the types of a native message object. */
export function expectMessageShape(message: unknown): void {
  expect(Object.keys(message as object).sort()).toEqual(
    [
      'content',
      'created_at',
      'error',
      'id',
      'model',
      'parent_id',
      'provider',
      'role',
      'session_id',
      'sibling_count',
      'sibling_ids',
      'sibling_index',
      'status',
      'usage',
    ].sort(),
  );
  const m = message as MessageBody;
  expect(m.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(m.session_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(
    m.parent_id === null || (typeof m.parent_id === 'string' && /^[0-9a-f-]{36}$/.test(m.parent_id)),
  ).toBe(true);
  expect(m.sibling_ids).toContain(m.id);
  expect(m.sibling_count).toBe(m.sibling_ids.length);
  expect(m.sibling_ids[m.sibling_index]).toBe(m.id);
  expect(['user', 'assistant']).toContain(m.role);
  expect(typeof m.content).toBe('string');
  expect(['complete', 'streaming', 'failed', 'stopped']).toContain(m.status);
  expect(m.provider === null || typeof m.provider === 'string').toBe(true);
  expect(m.model === null || typeof m.model === 'string').toBe(true);
  if (m.usage !== null) {
    expect(Object.keys(m.usage).sort()).toEqual(['completion_tokens', 'prompt_tokens']);
  }
  expect(m.error === null || typeof m.error === 'string').toBe(true);
  expect(m.created_at).toMatch(ISO);
}

export const ISO_TIMESTAMP = ISO;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
