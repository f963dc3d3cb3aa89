import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import {
  ChatUser,
  createSession,
  echoAnswer,
  echoSaw,
  expectSeedBody,
  ISO_TIMESTAMP,
  newUser,
  quickChatToken,
  sendMessage,
  UNKNOWN_ID,
  UUID,
} from './utils/chat-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

const NOT_FOUND = { error: 'Chat session not found.' };

interface QuickUser extends ChatUser {
  token: string;
}

describe('quick-chat: /api/v1/chat/* (echo provider)', () => {
  let t: TestApp;
  let http: TestAgent;
  let alice: QuickUser;
  let bob: QuickUser;

  async function quickUser(prefix: string): Promise<QuickUser> {
    const user = await newUser(http, prefix);
    return { ...user, token: await quickChatToken(http, user.username) };
  }

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    http = t.http;
    alice = await quickUser('qalice');
    bob = await quickUser('qbob');
  });
  afterAll(async () => {
    await t?.close();
  });

  const tokenAuth = (u: QuickUser) => `Token ${u.token}`;

  describe.each([
    ['with a trailing slash', '/'],
    ['without a trailing slash', ''],
  ])('%s', (_label, slash) => {
    const chat = `/api/v1/chat${slash}`;
    const history = `/api/v1/chat/chats-history${slash}`;
    const transcript = (id: string) => `/api/v1/chat/chats/${id}${slash}`;

    it('POST {message} → 200 exactly {session_id, message}: a new session answered by echo', async () => {
      const res = await http
        .post(chat)
        .set('Authorization', tokenAuth(alice))
        .send({ message: 'Hello quick chat' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(['message', 'session_id']);
      expect(res.body.session_id).toMatch(UUID);
      expect(res.body.message).toBe(echoAnswer('Hello quick chat', 0));
    });

    it('with that session_id, the answer sees the earlier messages (memory)', async () => {
      const first = await http
        .post(chat)
        .set('Authorization', tokenAuth(alice))
        .send({ message: 'I like tea.' });
      const id = first.body.session_id as string;
      const second = await http
        .post(chat)
        .set('Authorization', tokenAuth(alice))
        .send({ session_id: id, message: 'What do I like?' });
      expect(second.status).toBe(200);
      expect(second.body).toEqual({ session_id: id, message: echoAnswer('What do I like?', 2) });
      const third = await http
        .post(chat)
        .set('Authorization', tokenAuth(alice))
        .send({ session_id: id, message: 'Again?' });
      expect(third.body.message).toMatch(echoSaw(4));
    });

    it('session_id: null → a new session each time', async () => {
      const a = await http
        .post(chat)
        .set('Authorization', tokenAuth(alice))
        .send({ session_id: null, message: 'one' });
      const b = await http
        .post(chat)
        .set('Authorization', tokenAuth(alice))
        .send({ session_id: null, message: 'two' });
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(a.body.session_id).not.toBe(b.body.session_id);
      expect(b.body.message).toMatch(echoSaw(0));
    });

    it('an unknown, foreign or malformed session_id → 404 exactly {"error": "Chat session not found."}', async () => {
      const foreign = await http
        .post(chat)
        .set('Authorization', tokenAuth(bob))
        .send({ message: 'bob here' });
      for (const sessionId of [UNKNOWN_ID, foreign.body.session_id as string, 'not-a-uuid', '12345']) {
        const res = await http
          .post(chat)
          .set('Authorization', tokenAuth(alice))
          .send({ session_id: sessionId, message: 'intrude' });
        expectSeedBody(res, 404, NOT_FOUND);
      }
      // nothing was added to Bob's session
      const bobs = await http.get(transcript(foreign.body.session_id)).set('Authorization', tokenAuth(bob));
      expect(bobs.body.messages).toHaveLength(2);
    });

    it.each<[string, object]>([
      ['missing message', {}],
      ['empty message', { message: '' }],
      ['blank message', { message: '   ' }],
      ['null message', { message: null }],
      ['a number as message', { message: 7 }],
    ])('%s → 400 with an "error" key', async (_case, body) => {
      const res = await http.post(chat).set('Authorization', tokenAuth(alice)).send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(typeof res.body.error).toBe('string');
    });

    it('a message over 100,000 characters or with a NUL byte → 400 (not 500)', async () => {
      for (const message of ['m'.repeat(100_001), 'a\u0000b']) {
        const res = await http.post(chat).set('Authorization', tokenAuth(alice)).send({ message });
        expect(res.status).toBe(400);
        expect(typeof res.body.error).toBe('string');
      }
    });

    it('GET chats-history → [{session_id, created_at}] newest first, only the caller’s', async () => {
      const user = await quickUser('qhist');
      const ids: string[] = [];
      for (const message of ['first', 'second', 'third']) {
        const res = await http.post(chat).set('Authorization', tokenAuth(user)).send({ message });
        ids.push(res.body.session_id as string);
      }
      await http.post(chat).set('Authorization', tokenAuth(bob)).send({ message: 'not yours' });
      // activity in the oldest session does not reorder a list that is by creation
      await http
        .post(chat)
        .set('Authorization', tokenAuth(user))
        .send({ session_id: ids[0], message: 'more' });

      const res = await http.get(history).set('Authorization', tokenAuth(user));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Array.isArray(res.body)).toBe(true);
      expect(res.body.map((e: { session_id: string }) => e.session_id)).toEqual([...ids].reverse());
      for (const entry of res.body) {
        expect(Object.keys(entry).sort()).toEqual(['created_at', 'session_id']);
        expect(entry.created_at).toMatch(ISO_TIMESTAMP);
      }
      const times = res.body.map((e: { created_at: string }) => Date.parse(e.created_at));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
    });

    it('GET chats-history of a user with no sessions → []', async () => {
      const user = await quickUser('qempty');
      const res = await http.get(history).set('Authorization', tokenAuth(user));
      expectSeedBody(res, 200, []);
    });

    it('GET chats/<id> → {session_id, created_at, messages: [{role, content, timestamp}]} oldest first', async () => {
      const first = await http.post(chat).set('Authorization', tokenAuth(alice)).send({ message: 'Q1' });
      const id = first.body.session_id as string;
      await http.post(chat).set('Authorization', tokenAuth(alice)).send({ session_id: id, message: 'Q2' });

      const res = await http.get(transcript(id)).set('Authorization', tokenAuth(alice));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['created_at', 'messages', 'session_id']);
      expect(res.body.session_id).toBe(id);
      expect(res.body.created_at).toMatch(ISO_TIMESTAMP);
      const messages = res.body.messages as { role: string; content: string; timestamp: string }[];
      expect(messages.map((m) => [m.role, m.content])).toEqual([
        ['user', 'Q1'],
        ['assistant', echoAnswer('Q1', 0)],
        ['user', 'Q2'],
        ['assistant', echoAnswer('Q2', 2)],
      ]);
      for (const m of messages) {
        expect(Object.keys(m).sort()).toEqual(['content', 'role', 'timestamp']);
        expect(m.timestamp).toMatch(ISO_TIMESTAMP);
      }
      const times = messages.map((m) => Date.parse(m.timestamp));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    });

    it('GET chats/<id> of a foreign, unknown or malformed id → 404 exactly {"error": "Chat session not found."}', async () => {
      const foreign = await http
        .post(chat)
        .set('Authorization', tokenAuth(bob))
        .send({ message: 'secret of bob' });
      for (const id of [foreign.body.session_id as string, UNKNOWN_ID, 'not-a-uuid']) {
        const res = await http.get(transcript(id)).set('Authorization', tokenAuth(alice));
        expectSeedBody(res, 404, NOT_FOUND);
      }
    });

    it('without auth → 401 {"detail": ...} as application/json', async () => {
      for (const res of [
        await http.post(chat).send({ message: 'anonymous' }),
        await http.get(history),
        await http.get(transcript(UNKNOWN_ID)),
      ]) {
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(Object.keys(res.body)).toEqual(['detail']);
        expect(typeof res.body.detail).toBe('string');
      }
    });

    it('with an invalid token → 401 {"detail": ...}', async () => {
      const res = await http.get(history).set('Authorization', `Token ${'0'.repeat(40)}`);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(typeof res.body.detail).toBe('string');
    });

    it('works with `Bearer <jwt>` as well as `Token <token>`, on the same sessions', async () => {
      const viaBearer = await http
        .post(chat)
        .set('Authorization', alice.auth)
        .send({ message: 'bearer hello' });
      expect(viaBearer.status).toBe(200);
      const id = viaBearer.body.session_id as string;
      const viaToken = await http
        .post(chat)
        .set('Authorization', tokenAuth(alice))
        .send({ session_id: id, message: 'token hello' });
      expect(viaToken.body).toEqual({ session_id: id, message: echoAnswer('token hello', 2) });
      const list = await http.get(history).set('Authorization', alice.auth);
      expect(list.status).toBe(200);
      expect(list.body.map((e: { session_id: string }) => e.session_id)).toContain(id);
      const tr = await http.get(transcript(id)).set('Authorization', alice.auth);
      expect(tr.status).toBe(200);
      expect(tr.body.messages).toHaveLength(4);
    });
  });

  it('a long malformed session_id (100 characters) → 404 exactly {"error": "Chat session not found."}', async () => {
    const post = await http
      .post('/api/v1/chat/')
      .set('Authorization', tokenAuth(alice))
      .send({ session_id: 'x'.repeat(100), message: 'intrude' });
    expectSeedBody(post, 404, NOT_FOUND);
  });

  it('a long malformed id in chats/<id>/ (150 characters) → 404 exactly {"error": "Chat session not found."}', async () => {
    const get = await http
      .get(`/api/v1/chat/chats/${'y'.repeat(150)}/`)
      .set('Authorization', tokenAuth(alice));
    expectSeedBody(get, 404, NOT_FOUND);
  });

  it('a session made through the native API shows here too (one set of services)', async () => {
    const session = await createSession(http, alice.auth, { title: 'native' });
    await sendMessage(http, alice.auth, session.id, 'from the native API');
    const res = await http.get(`/api/v1/chat/chats/${session.id}/`).set('Authorization', tokenAuth(alice));
    expect(res.status).toBe(200);
    expect(res.body.messages.map((m: { content: string }) => m.content)[0]).toBe('from the native API');
  });
});
