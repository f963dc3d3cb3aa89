import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import {
  ChatUser,
  createSession,
  expectFieldProblem,
  expectProblem,
  expectSessionShape,
  messagesUrl,
  newUser,
  Page,
  sendMessage,
  SessionBody,
  SESSIONS,
  UNKNOWN_ID,
} from './utils/chat-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

describe('chat sessions: /api/v1/chat-sessions (echo provider)', () => {
  let t: TestApp;
  let http: TestAgent;
  let alice: ChatUser;
  let bob: ChatUser;

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    http = t.http;
    alice = await newUser(http, 'alice');
    bob = await newUser(http, 'bob');
  });
  afterAll(async () => {
    await t?.close();
  });

  const list = (user: ChatUser, query: Record<string, string | number> = {}) =>
    http.get(SESSIONS).set('Authorization', user.auth).query(query);

  describe('create', () => {
    it('POST / with no body fields → 201 session with nulls and message_count 0', async () => {
      const res = await http.post(SESSIONS).set('Authorization', alice.auth).send({});
      expect(res.status).toBe(201);
      expectSessionShape(res.body);
      expect(res.body).toMatchObject({
        title: null,
        system_prompt: null,
        provider: null,
        model: null,
        message_count: 0,
      });
    });

    it('POST / with every field → 201 session echoing them', async () => {
      const res = await http
        .post(SESSIONS)
        .set('Authorization', alice.auth)
        .send({ title: 'Trip planning', system_prompt: 'You are terse.', provider: 'echo', model: 'echo-x' });
      expect(res.status).toBe(201);
      expectSessionShape(res.body);
      expect(res.body).toMatchObject({
        title: 'Trip planning',
        system_prompt: 'You are terse.',
        provider: 'echo',
        model: 'echo-x',
        message_count: 0,
      });
      expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(res.body.created_at));
    });

    it('accepts a title of exactly 200 characters and a system prompt of exactly 20,000', async () => {
      const res = await http
        .post(SESSIONS)
        .set('Authorization', alice.auth)
        .send({ title: 't'.repeat(200), system_prompt: 's'.repeat(20_000) });
      expect(res.status).toBe(201);
      expect(res.body.title).toHaveLength(200);
      expect(res.body.system_prompt).toHaveLength(20_000);
    });

    it('title over 200 characters → 400 naming title', async () => {
      const res = await http
        .post(SESSIONS)
        .set('Authorization', alice.auth)
        .send({ title: 't'.repeat(201) });
      expectFieldProblem(res, 'title');
    });

    it('system_prompt over 20,000 characters → 400 naming system_prompt', async () => {
      const res = await http
        .post(SESSIONS)
        .set('Authorization', alice.auth)
        .send({ system_prompt: 's'.repeat(20_001) });
      expectFieldProblem(res, 'system_prompt');
    });

    it('an unknown field → 400 naming it', async () => {
      const res = await http
        .post(SESSIONS)
        .set('Authorization', alice.auth)
        .send({ title: 'x', temperature: 0.2 });
      expectFieldProblem(res, 'temperature');
    });

    it('a title that is not a string → 400 naming title', async () => {
      const res = await http.post(SESSIONS).set('Authorization', alice.auth).send({ title: 42 });
      expectFieldProblem(res, 'title');
    });

    it('provider "claude" → 400 naming provider', async () => {
      const res = await http.post(SESSIONS).set('Authorization', alice.auth).send({ provider: 'claude' });
      expectFieldProblem(res, 'provider');
    });

    it.each(['openai', 'gemini'])(
      'provider "%s", not configured on this server → 400 naming provider',
      async (p) => {
        const res = await http.post(SESSIONS).set('Authorization', alice.auth).send({ provider: p });
        expectFieldProblem(res, 'provider');
        expect(res.body.detail).not.toMatch(/at .*\.js:\d+/);
      },
    );

    it('malformed JSON → 400 problem', async () => {
      const res = await http
        .post(SESSIONS)
        .set('Authorization', alice.auth)
        .set('Content-Type', 'application/json')
        .send('{"title": ');
      expectProblem(res, 400);
    });

    it('answers with and without a trailing slash', async () => {
      const created = await http
        .post(`${SESSIONS}/`)
        .set('Authorization', alice.auth)
        .send({ title: 'slash' });
      expect(created.status).toBe(201);
      expect((await http.get(`${SESSIONS}/`).set('Authorization', alice.auth)).status).toBe(200);
      expect(
        (await http.get(`${SESSIONS}/${created.body.id}/`).set('Authorization', alice.auth)).status,
      ).toBe(200);
      const msgs = await http.get(`${messagesUrl(created.body.id)}/`).set('Authorization', alice.auth);
      expect(msgs.status).toBe(200);
    });

    it('a wrong content type → 400 or 415 problem', async () => {
      const res = await http
        .post(SESSIONS)
        .set('Authorization', alice.auth)
        .set('Content-Type', 'text/plain')
        .send('title=x');
      expect([400, 415]).toContain(res.status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('without auth → 401 problem', async () => {
      expectProblem(await http.post(SESSIONS).send({}), 401);
      expectProblem(await http.get(SESSIONS), 401);
      expectProblem(await http.get(`${SESSIONS}/${UNKNOWN_ID}`), 401);
      expectProblem(await http.get(messagesUrl(UNKNOWN_ID)), 401);
      expectProblem(await http.post(messagesUrl(UNKNOWN_ID)).send({ content: 'hi' }), 401);
    });

    it('with a garbage bearer token → 401 problem', async () => {
      expectProblem(await http.get(SESSIONS).set('Authorization', 'Bearer not.a.jwt'), 401);
    });
  });

  describe('list', () => {
    it('lists most recently active first; a message moves an older session to the top', async () => {
      const user = await newUser(http, 'order');
      const first = await createSession(http, user.auth, { title: 'first' });
      const second = await createSession(http, user.auth, { title: 'second' });
      const third = await createSession(http, user.auth, { title: 'third' });

      const before = await list(user);
      expect(before.status).toBe(200);
      expect(Object.keys(before.body).sort()).toEqual(['data', 'next_cursor']);
      expect(before.body.data.map((s: SessionBody) => s.id)).toEqual([third.id, second.id, first.id]);
      expect(before.body.next_cursor).toBeNull();
      before.body.data.forEach(expectSessionShape);

      await sendMessage(http, user.auth, first.id, 'wake up, first session');

      const after = await list(user);
      expect(after.body.data.map((s: SessionBody) => s.id)).toEqual([first.id, third.id, second.id]);
      expect(after.body.data[0].message_count).toBe(2);
      expect(Date.parse(after.body.data[0].updated_at)).toBeGreaterThanOrEqual(Date.parse(third.updated_at));
    });

    it('an edit (PATCH) also counts as activity and moves the session to the top', async () => {
      const user = await newUser(http, 'order2');
      const first = await createSession(http, user.auth, { title: 'first' });
      const second = await createSession(http, user.auth, { title: 'second' });
      const patched = await http
        .patch(`${SESSIONS}/${first.id}`)
        .set('Authorization', user.auth)
        .send({ title: 'first, renamed' });
      expect(patched.status).toBe(200);
      const res = await list(user);
      expect(res.body.data.map((s: SessionBody) => s.id)).toEqual([first.id, second.id]);
    });

    it('default page size is 20', async () => {
      const user = await newUser(http, 'deflimit');
      for (let i = 0; i < 21; i += 1) await createSession(http, user.auth, { title: `s${i}` });
      const res = await list(user);
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(20);
      expect(typeof res.body.next_cursor).toBe('string');
    });

    it('keyset pagination over 25 sessions with limit=10 → 10, 10, 5, no duplicates, next_cursor null at the end', async () => {
      const user = await newUser(http, 'pager');
      const created: string[] = [];
      for (let i = 0; i < 25; i += 1)
        created.push((await createSession(http, user.auth, { title: `p${i}` })).id);

      const sizes: number[] = [];
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: Record<string, string | number> = cursor ? { limit: 10, cursor } : { limit: 10 };
        const res = await list(user, query);
        expect(res.status).toBe(200);
        const page = res.body as Page<SessionBody>;
        sizes.push(page.data.length);
        seen.push(...page.data.map((s) => s.id));
        cursor = page.next_cursor;
        if (sizes.length < 3) expect(typeof cursor).toBe('string');
      } while (cursor && sizes.length < 10);

      expect(sizes).toEqual([10, 10, 5]);
      expect(cursor).toBeNull();
      expect(new Set(seen).size).toBe(25);
      expect(seen).toEqual([...created].reverse());
    });

    it('pagination stays consistent when a session becomes active between pages', async () => {
      const user = await newUser(http, 'pager2');
      const created: string[] = [];
      for (let i = 0; i < 6; i += 1)
        created.push((await createSession(http, user.auth, { title: `q${i}` })).id);
      const page1 = await list(user, { limit: 3 });
      expect(page1.body.data.map((s: SessionBody) => s.id)).toEqual(created.slice(3).reverse());
      // the newest session of page 1 gets a message: it must not reappear on page 2
      await sendMessage(http, user.auth, created[5], 'more activity');
      const page2 = await list(user, { limit: 3, cursor: page1.body.next_cursor });
      expect(page2.status).toBe(200);
      expect(page2.body.data.map((s: SessionBody) => s.id)).toEqual(created.slice(0, 3).reverse());
      expect(page2.body.next_cursor).toBeNull();
    });

    it.each([
      ['limit=0', { limit: '0' }, 'limit'],
      ['limit=101', { limit: '101' }, 'limit'],
      ['limit=-1', { limit: '-1' }, 'limit'],
      ['limit=abc', { limit: 'abc' }, 'limit'],
      ['limit=1.5', { limit: '1.5' }, 'limit'],
      ['a garbage cursor', { cursor: 'garbage!!!' }, 'cursor'],
      [
        'a base64 cursor of the wrong shape',
        { cursor: Buffer.from('["x"]').toString('base64url') },
        'cursor',
      ],
      ['a base64 cursor of non-JSON', { cursor: Buffer.from('hello').toString('base64url') }, 'cursor'],
    ])('%s → 400 problem naming the parameter', async (_label, query, field) => {
      const res = await list(alice, query);
      expectFieldProblem(res, field);
    });

    it('repeated or bracketed query parameters → 400, never 500', async () => {
      const repeated = await http.get(`${SESSIONS}?limit=1&limit=2`).set('Authorization', alice.auth);
      expectFieldProblem(repeated, 'limit');
      const arrayCursor = await http.get(`${SESSIONS}?cursor=a&cursor=b`).set('Authorization', alice.auth);
      expectFieldProblem(arrayCursor, 'cursor');
      const empty = await http.get(`${SESSIONS}?limit=`).set('Authorization', alice.auth);
      expect([200, 400]).toContain(empty.status);
    });

    it('limit=1 and limit=100 are accepted', async () => {
      expect((await list(alice, { limit: 1 })).status).toBe(200);
      expect((await list(alice, { limit: 100 })).status).toBe(200);
      expect((await list(alice, { limit: 1 })).body.data).toHaveLength(1);
    });

    it("never lists another user's sessions", async () => {
      const mine = await createSession(http, bob.auth, { title: 'bob only' });
      const res = await list(alice, { limit: 100 });
      expect(res.body.data.map((s: SessionBody) => s.id)).not.toContain(mine.id);
      const fresh = await newUser(http, 'empty');
      const empty = await list(fresh);
      expect(empty.body).toEqual({ data: [], next_cursor: null });
    });
  });

  describe('get, patch, delete', () => {
    it('GET /:id → 200 the session', async () => {
      const created = await createSession(http, alice.auth, { title: 'get me', system_prompt: 'Be brief.' });
      const res = await http.get(`${SESSIONS}/${created.id}`).set('Authorization', alice.auth);
      expect(res.status).toBe(200);
      expectSessionShape(res.body);
      expect(res.body).toEqual(created);
    });

    it('PATCH /:id changes only the given fields', async () => {
      const created = await createSession(http, alice.auth, { title: 'old', system_prompt: 'Keep me.' });
      const res = await http
        .patch(`${SESSIONS}/${created.id}`)
        .set('Authorization', alice.auth)
        .send({ title: 'new', model: 'echo-2' });
      expect(res.status).toBe(200);
      expectSessionShape(res.body);
      expect(res.body).toMatchObject({
        id: created.id,
        title: 'new',
        system_prompt: 'Keep me.',
        model: 'echo-2',
      });
      expect(res.body.created_at).toBe(created.created_at);
      expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));
      const again = await http.get(`${SESSIONS}/${created.id}`).set('Authorization', alice.auth);
      expect(again.body).toEqual(res.body);
    });

    it('PATCH with title: null clears the title (and system_prompt: null the prompt)', async () => {
      const created = await createSession(http, alice.auth, {
        title: 'to clear',
        system_prompt: 'Gone soon.',
      });
      const res = await http
        .patch(`${SESSIONS}/${created.id}`)
        .set('Authorization', alice.auth)
        .send({ title: null, system_prompt: null });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ title: null, system_prompt: null });
      const again = await http.get(`${SESSIONS}/${created.id}`).set('Authorization', alice.auth);
      expect(again.body).toMatchObject({ title: null, system_prompt: null });
    });

    it('PATCH with invalid values → 400 naming each field, session unchanged', async () => {
      const created = await createSession(http, alice.auth, { title: 'stable' });
      const url = `${SESSIONS}/${created.id}`;
      expectFieldProblem(
        await http
          .patch(url)
          .set('Authorization', alice.auth)
          .send({ title: 'x'.repeat(201) }),
        'title',
      );
      expectFieldProblem(
        await http
          .patch(url)
          .set('Authorization', alice.auth)
          .send({ system_prompt: 'x'.repeat(20_001) }),
        'system_prompt',
      );
      expectFieldProblem(
        await http.patch(url).set('Authorization', alice.auth).send({ provider: 'claude' }),
        'provider',
      );
      expectFieldProblem(
        await http.patch(url).set('Authorization', alice.auth).send({ provider: 'openai' }),
        'provider',
      );
      expectFieldProblem(
        await http.patch(url).set('Authorization', alice.auth).send({ colour: 'red' }),
        'colour',
      );
      const again = await http.get(url).set('Authorization', alice.auth);
      expect(again.body.title).toBe('stable');
      expect(again.body.provider).toBeNull();
    });

    it('DELETE /:id → 204, then GET → 404 and its messages are gone (GET messages → 404)', async () => {
      const created = await createSession(http, alice.auth, { title: 'doomed' });
      await sendMessage(http, alice.auth, created.id, 'a message that goes too');
      const del = await http.delete(`${SESSIONS}/${created.id}`).set('Authorization', alice.auth);
      expect(del.status).toBe(204);
      expect(del.text).toBe('');
      expectProblem(await http.get(`${SESSIONS}/${created.id}`).set('Authorization', alice.auth), 404);
      expectProblem(await http.get(messagesUrl(created.id)).set('Authorization', alice.auth), 404);
      expectProblem(
        await http.post(messagesUrl(created.id)).set('Authorization', alice.auth).send({ content: 'hello?' }),
        404,
      );
      expectProblem(await http.delete(`${SESSIONS}/${created.id}`).set('Authorization', alice.auth), 404);
      const listed = await list(alice, { limit: 100 });
      expect(listed.body.data.map((s: SessionBody) => s.id)).not.toContain(created.id);
    });
  });

  describe("another user's session, an unknown id, a malformed id → 404 problem", () => {
    let foreign: SessionBody;
    beforeAll(async () => {
      foreign = await createSession(http, bob.auth, { title: "bob's secret" });
      await sendMessage(http, bob.auth, foreign.id, 'private words');
    });

    const ids = (): [string, string][] => [
      ['foreign', foreign.id],
      ['unknown', UNKNOWN_ID],
      ['malformed', 'not-a-uuid'],
      ['malformed, uuid-like', `${UNKNOWN_ID}x`],
      ['malformed, sql-ish', "1' OR '1'='1"],
      ['malformed, NUL byte', '\u0000'],
      ['malformed, long', 'a'.repeat(90)],
    ];

    it('GET /:id → 404', async () => {
      for (const [label, id] of ids()) {
        const res = await http.get(`${SESSIONS}/${encodeURIComponent(id)}`).set('Authorization', alice.auth);
        expect({ label, status: res.status }).toEqual({ label, status: 404 });
        expectProblem(res, 404);
        expect(res.text).not.toContain("bob's secret");
      }
    });

    it('a long malformed id (150 characters) → 404 problem on every route, like any malformed id', async () => {
      const id = 'a'.repeat(150);
      const responses = [
        await http.get(`${SESSIONS}/${id}`).set('Authorization', alice.auth),
        await http.patch(`${SESSIONS}/${id}`).set('Authorization', alice.auth).send({ title: 'x' }),
        await http.delete(`${SESSIONS}/${id}`).set('Authorization', alice.auth),
        await http.get(messagesUrl(id)).set('Authorization', alice.auth),
        await http.post(messagesUrl(id)).set('Authorization', alice.auth).send({ content: 'x' }),
      ];
      for (const res of responses) expectProblem(res, 404);
    });

    it('PATCH /:id → 404 and nothing changes', async () => {
      for (const [label, id] of ids()) {
        const res = await http
          .patch(`${SESSIONS}/${encodeURIComponent(id)}`)
          .set('Authorization', alice.auth)
          .send({ title: 'hijacked' });
        expect({ label, status: res.status }).toEqual({ label, status: 404 });
        expectProblem(res, 404);
      }
      const own = await http.get(`${SESSIONS}/${foreign.id}`).set('Authorization', bob.auth);
      expect(own.body.title).toBe("bob's secret");
    });

    it('DELETE /:id → 404 and the session survives', async () => {
      for (const [label, id] of ids()) {
        const res = await http
          .delete(`${SESSIONS}/${encodeURIComponent(id)}`)
          .set('Authorization', alice.auth);
        expect({ label, status: res.status }).toEqual({ label, status: 404 });
        expectProblem(res, 404);
      }
      expect((await http.get(`${SESSIONS}/${foreign.id}`).set('Authorization', bob.auth)).status).toBe(200);
    });

    it('GET /:id/messages → 404', async () => {
      for (const [label, id] of ids()) {
        const res = await http.get(messagesUrl(encodeURIComponent(id))).set('Authorization', alice.auth);
        expect({ label, status: res.status }).toEqual({ label, status: 404 });
        expectProblem(res, 404);
        expect(res.text).not.toContain('private words');
      }
    });

    it('POST /:id/messages → 404 and nothing is stored', async () => {
      for (const [label, id] of ids()) {
        const res = await http
          .post(messagesUrl(encodeURIComponent(id)))
          .set('Authorization', alice.auth)
          .send({ content: 'sneaky' });
        expect({ label, status: res.status }).toEqual({ label, status: 404 });
        expectProblem(res, 404);
      }
      const own = await http.get(`${SESSIONS}/${foreign.id}`).set('Authorization', bob.auth);
      expect(own.body.message_count).toBe(2);
    });
  });
});
