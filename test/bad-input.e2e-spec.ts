import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { leaksIn, uniqueUsername, watchedAgent, type SeenResponse } from './utils/auth-helpers.js';
import {
  createSession,
  expectFieldProblem,
  expectSeedBody,
  messagesUrl,
  newUser,
  quickChatToken,
  seedAccessToken,
  sendMessage,
  SESSIONS,
  STRONG_PASSWORD,
} from './utils/chat-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

/**
 * Bad input on every route family, table-driven: each row is a request that must answer 400 naming the
 * field in its family's shape (problem details on the native API, the seeds' own bodies), never a 500.
 */

const NUL = 'a\u0000b';
const LONE_HIGH = 'a\ud800b';
const LONE_LOW = '\udc00@example.com';
const NUL_MESSAGE = 'Null characters are not allowed.';
const surrogateMessage = (code: string) => `Surrogate characters are not allowed: U+${code}.`;

const cursorOf = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString('base64url');
const SESSION_ID = '00000000-0000-4000-8000-000000000000';

/** Who sends the request: nobody, or one of the three families' credentials. */
type Auth = 'none' | 'bearer' | 'token' | 'seed';

interface Row {
  name: string;
  method: 'get' | 'post' | 'patch' | 'put';
  /** `:id` is replaced by a session of the caller. */
  path: string;
  auth: Auth;
  body?: unknown;
  query?: Record<string, string>;
  /** Native: the field that errors[] must name. Seeds: the exact JSON body. */
  expect: { field: string } | { body: unknown };
}

const register = (extra: Record<string, unknown>) => ({
  username: uniqueUsername('bad'),
  password: STRONG_PASSWORD,
  ...extra,
});

const native: Row[] = [
  {
    name: 'login: NUL in the username',
    method: 'post',
    path: '/api/v1/auth/login',
    auth: 'none',
    body: { username: NUL, password: STRONG_PASSWORD },
    expect: { field: 'username' },
  },
  {
    name: 'login: a lone surrogate in the password',
    method: 'post',
    path: '/api/v1/auth/login',
    auth: 'none',
    body: { username: 'someone', password: `${STRONG_PASSWORD}\ud800` },
    expect: { field: 'password' },
  },
  {
    name: 'register: a lone surrogate in the email',
    method: 'post',
    path: '/api/v1/auth/register',
    auth: 'none',
    body: register({ email: LONE_LOW }),
    expect: { field: 'email' },
  },
  {
    name: 'register: NUL in the email',
    method: 'post',
    path: '/api/v1/auth/register',
    auth: 'none',
    body: register({ email: `a\u0000b@example.com` }),
    expect: { field: 'email' },
  },
  {
    name: 'refresh: NUL in the token',
    method: 'post',
    path: '/api/v1/auth/refresh',
    auth: 'none',
    body: { refresh_token: NUL },
    expect: { field: 'refresh_token' },
  },
  {
    name: 'session create: a lone surrogate in the title',
    method: 'post',
    path: SESSIONS,
    auth: 'bearer',
    body: { title: LONE_HIGH },
    expect: { field: 'title' },
  },
  {
    name: 'session patch: NUL in the system prompt',
    method: 'patch',
    path: `${SESSIONS}/:id`,
    auth: 'bearer',
    body: { system_prompt: NUL },
    expect: { field: 'system_prompt' },
  },
  {
    name: 'session create: a Gemini model name with path segments',
    method: 'post',
    path: SESSIONS,
    auth: 'bearer',
    body: { provider: 'gemini', model: 'gemini-2.0-flash/../../x' },
    expect: { field: 'model' },
  },
  {
    name: 'session patch: to Gemini with a model name with path segments',
    method: 'patch',
    path: `${SESSIONS}/:id`,
    auth: 'bearer',
    body: { provider: 'gemini', model: 'tunedModels/x' },
    expect: { field: 'model' },
  },
  {
    name: 'message: a lone surrogate in the content',
    method: 'post',
    path: messagesUrl(':id'),
    auth: 'bearer',
    body: { content: LONE_HIGH },
    expect: { field: 'content' },
  },
  ...[
    ['the year 275000', '+275000-01-01T00:00:00.000000Z'],
    ['the year 271822 BC', '-271821-04-20T00:00:00.000Z'],
    ['"0"', '0'],
    ['"infinity"', 'infinity'],
    ['February 30th', '2026-02-30T00:00:00.000000Z'],
  ].map(([label, timestamp]): Row => ({
    name: `session list: a cursor timestamp of ${label}`,
    method: 'get',
    path: SESSIONS,
    auth: 'bearer',
    query: { cursor: cursorOf([timestamp, SESSION_ID]) },
    expect: { field: 'cursor' },
  })),
  {
    name: 'message page: a cursor above the int8 range',
    method: 'get',
    path: messagesUrl(':id'),
    auth: 'bearer',
    query: { cursor: cursorOf(['9999999999999999999']) },
    expect: { field: 'cursor' },
  },
];

const quickChat: Row[] = [
  {
    name: 'login: NUL in the username',
    method: 'post',
    path: '/api/v1/accounts/login/',
    auth: 'none',
    body: { username: NUL, password: STRONG_PASSWORD },
    expect: { body: { username: [NUL_MESSAGE] } },
  },
  ...[{}, { username: 'someone' }, { password: STRONG_PASSWORD }].map((body): Row => ({
    name: `login: ${JSON.stringify(body)}, a field missing`,
    method: 'post',
    path: '/api/v1/accounts/login/',
    auth: 'none',
    body,
    expect: { body: { error: 'Username and password are required.' } },
  })),
  ...[
    { username: '', password: STRONG_PASSWORD },
    { username: 'someone', password: '' },
    { username: null, password: STRONG_PASSWORD },
  ].map((body): Row => ({
    name: `login: ${JSON.stringify(body)}, a field empty`,
    method: 'post',
    path: '/api/v1/accounts/login/',
    auth: 'none',
    body,
    expect: { body: { error: 'Username and password are required.' } },
  })),
  {
    name: 'register: a lone surrogate in the email',
    method: 'post',
    path: '/api/v1/accounts/register/',
    auth: 'none',
    body: {
      username: uniqueUsername('bad'),
      email: LONE_LOW,
      password1: STRONG_PASSWORD,
      password2: STRONG_PASSWORD,
    },
    expect: { body: { email: [surrogateMessage('DC00')] } },
  },
  {
    name: 'chat: a lone surrogate in the message',
    method: 'post',
    path: '/api/v1/chat/',
    auth: 'token',
    body: { message: LONE_HIGH },
    expect: { body: { error: surrogateMessage('D800') } },
  },
  {
    name: 'chat: NUL in the message',
    method: 'post',
    path: '/api/v1/chat/',
    auth: 'token',
    body: { message: NUL },
    expect: { body: { error: NUL_MESSAGE } },
  },
  {
    name: 'chat: NUL in the session_id',
    method: 'post',
    path: '/api/v1/chat/',
    auth: 'token',
    body: { session_id: NUL, message: 'hello' },
    expect: { body: { session_id: [NUL_MESSAGE] } },
  },
];

const sessionsSeed: Row[] = [
  ...['/login/', '/api/token/'].map((path): Row => ({
    name: `${path}: NUL in the username`,
    method: 'post',
    path,
    auth: 'none',
    body: { username: NUL, password: STRONG_PASSWORD },
    expect: { body: { username: [NUL_MESSAGE] } },
  })),
  {
    name: '/register/: a lone surrogate in the email',
    method: 'post',
    path: '/register/',
    auth: 'none',
    body: register({ email: LONE_LOW }),
    expect: { body: { email: [surrogateMessage('DC00')] } },
  },
  {
    name: '/chatsessions/: NUL in the title',
    method: 'post',
    path: '/chatsessions/',
    auth: 'seed',
    body: { title: NUL },
    expect: { body: { title: [NUL_MESSAGE] } },
  },
  {
    name: '/chatsessions/{id}/: a lone surrogate in the title',
    method: 'put',
    path: '/chatsessions/:id/',
    auth: 'seed',
    body: { title: LONE_HIGH },
    expect: { body: { title: [surrogateMessage('D800')] } },
  },
  {
    name: '/chatsessions/{id}/messages/: NUL in the prompt',
    method: 'post',
    path: '/chatsessions/:id/messages/',
    auth: 'seed',
    body: { prompt: NUL },
    expect: { body: { error: NUL_MESSAGE } },
  },
];

describe('bad input → 400 naming the field, in each family’s shape; never 500', () => {
  let t: TestApp;
  let http: TestAgent;
  let seen: SeenResponse[];
  const credentials = {} as Record<Exclude<Auth, 'none'>, string>;
  let sessionId: string;

  beforeAll(async () => {
    // Gemini configured (never called: every Gemini row is refused) so that its model rule applies
    t = await startTestApp({
      LOGIN_MAX_FAILURES: '1000',
      LLM_PROVIDER: 'echo',
      GEMINI_API_KEY: 'unused',
      GEMINI_BASE_URL: 'http://127.0.0.1:9',
    });
    ({ http, seen } = watchedAgent(t.baseUrl));
    const user = await newUser(http, 'badin');
    credentials.bearer = user.auth;
    credentials.token = `Token ${await quickChatToken(http, user.username)}`;
    credentials.seed = `Bearer ${await seedAccessToken(http, user.username)}`;
    sessionId = (await createSession(http, user.auth)).id;
    // two messages, so that a message page has a cursor to follow
    await sendMessage(http, user.auth, sessionId, 'first');
  });
  afterAll(async () => {
    await t?.close();
  });

  async function send(row: Row): Promise<Response> {
    const path = row.path.replace(':id', sessionId);
    let req = http[row.method](path);
    if (row.auth !== 'none') req = req.set('Authorization', credentials[row.auth]);
    if (row.query) req = req.query(row.query);
    return row.body === undefined ? req : req.send(row.body as object);
  }

  describe.each([
    ['native', native],
    ['quick-chat seed', quickChat],
    ['sessions seed', sessionsSeed],
  ])('%s', (_family, rows) => {
    it.each(rows.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
      const res = await send(row);
      if ('field' in row.expect) expectFieldProblem(res, row.expect.field);
      else expectSeedBody(res, 400, row.expect.body);
    });
  });

  it('the session and its one exchange are untouched by the rejected writes', async () => {
    const res = await http.get(`${SESSIONS}/${sessionId}`).set('Authorization', credentials.bearer);
    expect(res.body).toMatchObject({
      title: 'first',
      system_prompt: null,
      provider: null,
      model: null,
      message_count: 2,
    });
  });

  it('no answer leaked a stack trace or a hash', () => {
    expect(leaksIn(seen)).toEqual([]);
  });
});
