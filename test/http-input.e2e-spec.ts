import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import {
  bearer,
  ChatUser,
  createSession,
  expectFieldProblem,
  expectProblem,
  expectSeedBody,
  messagesUrl,
  newUser,
  quickChatToken,
  seedAccessToken,
  STRONG_PASSWORD,
  UNKNOWN_ID,
} from './utils/chat-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

/** One POST route of each family, and how it words a plain 4xx. */
const FAMILIES = [
  { family: 'native', path: '/api/v1/auth/login' },
  { family: 'quick-chat', path: '/api/v1/accounts/login/' },
  { family: 'sessions seed', path: '/login/' },
] as const;

function expectError(res: Response, family: string, status: number, detail: string | RegExp): void {
  if (family === 'native') {
    expectProblem(res, status);
    expect(res.body.detail).toMatch(detail);
  } else {
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status,
      body: { detail: expect.stringMatching(detail) },
    });
  }
}

/** Base-36 names, so that 100,000 keys fit in 1 MiB. */
const wideObject = (keys: number): string =>
  JSON.stringify(Object.fromEntries(Array.from({ length: keys }, (_, i) => [i.toString(36), 0])));

const HOSTILE_BODIES = [
  {
    shape: 'nested 5,000 deep',
    body: '{"username":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
    detail: /nested more than 32 levels/,
  },
  { shape: '100,000 keys', body: wideObject(100_000), detail: /object of more than 1000 keys/ },
  {
    shape: 'an array of 400,000 items',
    body: `{"username":[${'0,'.repeat(399_999)}0]}`,
    detail: /more than 10000 values/,
  },
];

describe('HTTP input: hostile JSON, empty and form bodies, methods, Accept', () => {
  let t: TestApp;
  let user: ChatUser;

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    user = await newUser(t.http, 'httpin');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('JSON bodies too deep or too large to validate are a 400 within milliseconds', () => {
    const cases = FAMILIES.flatMap(({ family, path }) => HOSTILE_BODIES.map((b) => ({ family, path, ...b })));
    it.each(cases)('$family $path: $shape', async ({ family, path, body, detail }) => {
      expect(body.length).toBeLessThan(1024 * 1024);
      const started = performance.now();
      const res = await t.http.post(path).set('Content-Type', 'application/json').send(body);
      const elapsed = performance.now() - started;
      expectError(res, family, 400, detail);
      expect(elapsed).toBeLessThan(500);
    });

    it('four 1 MiB bodies at once leave /health answering within 500 ms', async () => {
      const body = `{"username":[${Array.from({ length: 20 }, () => `[${'0,'.repeat(24_999)}0]`).join(',')}]}`;
      expect(body.length).toBeLessThan(1024 * 1024);
      let posting = true;
      const posts = Promise.all(
        Array.from({ length: 4 }, () =>
          fetch(`${t.baseUrl}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }).then((res) => res.status),
        ),
      ).finally(() => (posting = false));
      const healthTimes: number[] = [];
      while (posting || healthTimes.length < 3) {
        const started = performance.now();
        const res = await fetch(`${t.baseUrl}/health`);
        healthTimes.push(performance.now() - started);
        expect(res.status).toBe(200);
      }
      expect(await posts).toEqual([400, 400, 400, 400]);
      expect(Math.max(...healthTimes)).toBeLessThan(500);
    });

    it('an ordinary body within the limits still works', async () => {
      const session = await createSession(t.http, user.auth, { title: 'a [nested] {title}' });
      const res = await t.http
        .post(messagesUrl(session.id))
        .set('Authorization', user.auth)
        .send({ content: '['.repeat(5000) });
      expect(res.status).toBe(201);
    });
  });

  describe('an empty body with Content-Type: application/json is no body', () => {
    const emptyJson = { 'Content-Type': 'application/json' };

    it('native: DELETE a session and logout answer 204', async () => {
      const session = await createSession(t.http, user.auth);
      const deleted = await t.http
        .delete(`/api/v1/chat-sessions/${session.id}`)
        .set(emptyJson)
        .set('Authorization', user.auth);
      expect(deleted.status).toBe(204);
      const other = await newUser(t.http, 'httpin_logout');
      const loggedOut = await t.http
        .post('/api/v1/auth/logout')
        .set(emptyJson)
        .set('Authorization', other.auth);
      expect(loggedOut.status).toBe(204);
    });

    it('quick-chat: logout answers 200', async () => {
      const token = await quickChatToken(t.http, user.username);
      const res = await t.http
        .post('/api/v1/accounts/logout/')
        .set(emptyJson)
        .set('Authorization', `Token ${token}`);
      expectSeedBody(res, 200, { message: 'Successfully logged out.' });
    });

    it('sessions seed: DELETE a session answers 204', async () => {
      const access = bearer(await seedAccessToken(t.http, user.username));
      const created = await t.http.post('/chatsessions/').set('Authorization', access).send({ title: 'x' });
      expect(created.status).toBe(201);
      const res = await t.http
        .delete(`/chatsessions/${created.body.id as string}/`)
        .set(emptyJson)
        .set('Authorization', access);
      expect(res.status).toBe(204);
    });

    it('a route that needs a body names the missing fields', async () => {
      expectFieldProblem(await t.http.post('/api/v1/auth/login').set(emptyJson), 'username');
      const seed = await t.http.post('/api/token/').set(emptyJson);
      expect(seed.status).toBe(400);
      expect(Object.keys(seed.body as object).sort()).toEqual(['password', 'username']);
    });
  });

  describe('form-encoded bodies: the native API takes JSON only, the seed routes take forms as Django does', () => {
    const form = { username: '', password: STRONG_PASSWORD };
    beforeAll(() => {
      form.username = user.username;
    });

    it('native login with a form body is a 415 problem', async () => {
      const res = await t.http.post('/api/v1/auth/login').type('form').send(form);
      expectProblem(res, 415);
      expect(res.body.detail).toBe('Unsupported content type; send application/json.');
    });

    it('quick-chat login with a form body logs in', async () => {
      const res = await t.http.post('/api/v1/accounts/login/').type('form').send(form);
      expect({ status: res.status, message: res.body.message as unknown }).toEqual({
        status: 200,
        message: 'User logged in successfully.',
      });
    });

    it('sessions seed login with a form body logs in', async () => {
      const res = await t.http.post('/login/').type('form').send(form);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body as object).sort()).toEqual(['access', 'refresh']);
    });
  });

  describe('a wrong method on a known path is a 405 with Allow', () => {
    it.each([
      { family: 'native', method: 'get', path: '/api/v1/auth/login', allow: 'POST' },
      {
        family: 'native',
        method: 'put',
        path: `/api/v1/chat-sessions/${UNKNOWN_ID}`,
        allow: 'GET, HEAD, PATCH, DELETE',
      },
      { family: 'quick-chat', method: 'get', path: '/api/v1/accounts/login/', allow: 'POST' },
      { family: 'quick-chat', method: 'delete', path: '/api/v1/chat/', allow: 'POST' },
      { family: 'sessions seed', method: 'put', path: '/register/', allow: 'POST' },
      { family: 'sessions seed', method: 'delete', path: '/chatsessions', allow: 'GET, HEAD, POST' },
    ] as const)('$family $method $path', async ({ family, method, path, allow }) => {
      const res = await t.http[method](path);
      expectError(res, family, 405, `Method "${method.toUpperCase()}" not allowed.`);
      expect(res.headers.allow).toBe(allow);
    });

    it('an unknown path is still a 404', async () => {
      expectProblem(await t.http.put('/api/v1/no-such-thing'), 404);
    });
  });

  describe('Accept is read as media types', () => {
    it.each([
      ['text/event-stream;q=1', true],
      ['TEXT/EVENT-STREAM', true],
      ['application/json, text/event-stream', true],
      ['text/event-stream;q=0', false],
      ['text/event-stream;q=0.2, application/json', false],
      ['text/event-stream-v2', false],
      ['*/*', false],
    ])('%p streams: %p', async (accept, streams) => {
      const session = await createSession(t.http, user.auth);
      const res = await fetch(`${t.baseUrl}${messagesUrl(session.id)}`, {
        method: 'POST',
        headers: { authorization: user.auth, 'content-type': 'application/json', accept },
        body: JSON.stringify({ content: 'which answer?' }),
      });
      const text = await res.text();
      if (streams) {
        expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({
          status: 200,
          type: expect.stringMatching(/^text\/event-stream/),
        });
        expect(text).toContain('event: message.completed');
      } else {
        expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({
          status: 201,
          type: expect.stringMatching(/^application\/json/),
        });
        expect(JSON.parse(text)).toHaveProperty('assistant_message.status', 'complete');
      }
    });
  });
});
