import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import {
  bearer,
  ChatUser,
  echoAnswer,
  echoSaw,
  expectSeedBody,
  ISO_TIMESTAMP,
  newUser,
  seedAccessToken,
  UNKNOWN_ID,
  UUID,
} from './utils/chat-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

const NOT_FOUND = { error: 'Chat session not found' };
const EMPTY_PROMPT = { error: 'Prompt cannot be empty' };
const SESSION_KEYS = ['id', 'started_at', 'title', 'updated_at', 'user'];
const EXCHANGE_KEYS = ['created_at', 'id', 'prompt', 'response', 'session'];

interface SeedUser extends ChatUser {
  /** `Bearer <access from /login/>` */
  seedAuth: string;
}

describe('sessions seed: /chatsessions/* and /api/chatsessions/* (echo provider)', () => {
  let t: TestApp;
  let http: TestAgent;
  let alice: SeedUser;
  let bob: SeedUser;

  async function seedUser(prefix: string): Promise<SeedUser> {
    const user = await newUser(http, prefix);
    return { ...user, seedAuth: bearer(await seedAccessToken(http, user.username)) };
  }

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    http = t.http;
    alice = await seedUser('salice');
    bob = await seedUser('sbob');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe.each([
    ['/chatsessions', '/'],
    ['/chatsessions', ''],
    ['/api/chatsessions', '/'],
    ['/api/chatsessions', ''],
  ])('%s (slash: "%s")', (base, slash) => {
    const root = `${base}${slash}`;
    const one = (id: string) => `${base}/${id}${slash}`;
    const messages = (id: string) => `${base}/${id}/messages${slash}`;

    async function create(user: SeedUser, body: object = {}): Promise<{ id: string; title: string | null }> {
      const res = await http.post(root).set('Authorization', user.seedAuth).send(body);
      expect(res.status).toBe(201);
      return res.body as { id: string; title: string | null };
    }

    it('POST {} → 201 {id, user, title: null, started_at, updated_at} with user = the caller', async () => {
      const res = await http.post(root).set('Authorization', alice.seedAuth).send({});
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(SESSION_KEYS);
      expect(res.body).toMatchObject({ title: null, user: alice.id });
      expect(res.body.id).toMatch(UUID);
      expect(res.body.started_at).toMatch(ISO_TIMESTAMP);
      expect(res.body.updated_at).toMatch(ISO_TIMESTAMP);
    });

    it('POST {title} → 201 with that title', async () => {
      const res = await http.post(root).set('Authorization', alice.seedAuth).send({ title: 'Seed titled' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ title: 'Seed titled', user: alice.id });
    });

    it('POST with a title over 200 characters → 400 (not 500)', async () => {
      const res = await http
        .post(root)
        .set('Authorization', alice.seedAuth)
        .send({ title: 'x'.repeat(201) });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    });

    it('GET → [{id, user, title, started_at, updated_at}] of the caller only', async () => {
      const user = await seedUser('slist');
      const a = await create(user, { title: 'A' });
      const b = await create(user, { title: 'B' });
      await create(bob, { title: 'not for you' });
      const res = await http.get(root).set('Authorization', user.seedAuth);
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
      expect(res.body).toHaveLength(2);
      expect(res.body.map((s: { id: string }) => s.id).sort()).toEqual([a.id, b.id].sort());
      for (const s of res.body) {
        expect(Object.keys(s).sort()).toEqual(SESSION_KEYS);
        expect(s.user).toBe(user.id);
      }
    });

    it('GET /{id}/ → 200; PUT → 200; PATCH → 200; DELETE → 204, then 404', async () => {
      const created = await create(alice, { title: 'original' });
      const got = await http.get(one(created.id)).set('Authorization', alice.seedAuth);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(created);

      const put = await http
        .put(one(created.id))
        .set('Authorization', alice.seedAuth)
        .send({ title: 'replaced' });
      expect(put.status).toBe(200);
      expect(Object.keys(put.body).sort()).toEqual(SESSION_KEYS);
      expect(put.body).toMatchObject({ id: created.id, title: 'replaced', user: alice.id });

      const patch = await http
        .patch(one(created.id))
        .set('Authorization', alice.seedAuth)
        .send({ title: 'patched' });
      expect(patch.status).toBe(200);
      expect(patch.body).toMatchObject({ id: created.id, title: 'patched' });
      expect((await http.get(one(created.id)).set('Authorization', alice.seedAuth)).body.title).toBe(
        'patched',
      );

      const del = await http.delete(one(created.id)).set('Authorization', alice.seedAuth);
      expect(del.status).toBe(204);
      expectSeedBody(await http.get(one(created.id)).set('Authorization', alice.seedAuth), 404, NOT_FOUND);
      expectSeedBody(
        await http.get(messages(created.id)).set('Authorization', alice.seedAuth),
        404,
        NOT_FOUND,
      );
    });

    it('PATCH {} keeps the title; PUT {} clears it', async () => {
      const created = await create(alice, { title: 'sticky' });
      const patch = await http.patch(one(created.id)).set('Authorization', alice.seedAuth).send({});
      expect(patch.status).toBe(200);
      expect(patch.body.title).toBe('sticky');
      const put = await http.put(one(created.id)).set('Authorization', alice.seedAuth).send({});
      expect(put.status).toBe(200);
      expect(put.body.title).toBeNull();
    });

    it('POST /{id}/messages/ {prompt} → 201 the exchange; GET lists [{id, session, prompt, response, created_at}]', async () => {
      const created = await create(alice);
      const res = await http
        .post(messages(created.id))
        .set('Authorization', alice.seedAuth)
        .send({ prompt: 'Tell me a fact.' });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(EXCHANGE_KEYS);
      expect(res.body).toMatchObject({ session: created.id, prompt: 'Tell me a fact.' });
      expect(res.body.id).toMatch(UUID);
      expect(res.body.created_at).toMatch(ISO_TIMESTAMP);
      expect(typeof res.body.response).toBe('string');
      expect(res.body.response.length).toBeGreaterThan(0);
      expect(res.body.response).toBe(echoAnswer('Tell me a fact.', 0));

      const list = await http.get(messages(created.id)).set('Authorization', alice.seedAuth);
      expect(list.status).toBe(200);
      expect(list.body).toEqual([res.body]);
    });

    it('memory: the second prompt’s response mentions 2 earlier messages; the list is oldest first', async () => {
      const created = await create(alice);
      await http
        .post(messages(created.id))
        .set('Authorization', alice.seedAuth)
        .send({ prompt: 'My cat is Tom.' });
      const second = await http
        .post(messages(created.id))
        .set('Authorization', alice.seedAuth)
        .send({ prompt: "What is my cat's name?" });
      expect(second.status).toBe(201);
      expect(second.body.response).toMatch(echoSaw(2));
      const list = await http.get(messages(created.id)).set('Authorization', alice.seedAuth);
      expect(list.body.map((e: { prompt: string }) => e.prompt)).toEqual([
        'My cat is Tom.',
        "What is my cat's name?",
      ]);
      for (const e of list.body) expect(Object.keys(e).sort()).toEqual(EXCHANGE_KEYS);
    });

    it('an untitled session takes its title from the first prompt', async () => {
      const created = await create(alice);
      await http.post(messages(created.id)).set('Authorization', alice.seedAuth).send({ prompt: 'Name me' });
      const got = await http.get(one(created.id)).set('Authorization', alice.seedAuth);
      expect(got.body.title).toBe('Name me');
    });

    it.each<[string, object]>([
      ['empty', { prompt: '' }],
      ['whitespace', { prompt: '   \n ' }],
      ['missing', {}],
      ['null', { prompt: null }],
    ])('%s prompt → 400 exactly {"error": "Prompt cannot be empty"}', async (_case, body) => {
      const created = await create(alice);
      const res = await http.post(messages(created.id)).set('Authorization', alice.seedAuth).send(body);
      expectSeedBody(res, 400, EMPTY_PROMPT);
      const list = await http.get(messages(created.id)).set('Authorization', alice.seedAuth);
      expect(list.body).toEqual([]);
    });

    it('an unknown, foreign or malformed id → 404 exactly {"error": "Chat session not found"} on every route', async () => {
      const foreign = await create(bob, { title: 'bob only' });
      for (const id of [UNKNOWN_ID, foreign.id, 'not-a-uuid']) {
        const auth = alice.seedAuth;
        expectSeedBody(await http.get(one(id)).set('Authorization', auth), 404, NOT_FOUND);
        expectSeedBody(
          await http.put(one(id)).set('Authorization', auth).send({ title: 'x' }),
          404,
          NOT_FOUND,
        );
        expectSeedBody(
          await http.patch(one(id)).set('Authorization', auth).send({ title: 'x' }),
          404,
          NOT_FOUND,
        );
        expectSeedBody(await http.delete(one(id)).set('Authorization', auth), 404, NOT_FOUND);
        expectSeedBody(await http.get(messages(id)).set('Authorization', auth), 404, NOT_FOUND);
        expectSeedBody(
          await http.post(messages(id)).set('Authorization', auth).send({ prompt: 'hi' }),
          404,
          NOT_FOUND,
        );
      }
      const still = await http.get(one(foreign.id)).set('Authorization', bob.seedAuth);
      expect(still.status).toBe(200);
      expect(still.body.title).toBe('bob only');
    });

    it('an invalid token → 401 with code "token_not_valid"', async () => {
      for (const res of [
        await http.get(root).set('Authorization', 'Bearer not.a.token'),
        await http.post(root).set('Authorization', 'Bearer not.a.token').send({}),
        await http.get(one(UNKNOWN_ID)).set('Authorization', 'Bearer garbage'),
        await http.post(messages(UNKNOWN_ID)).set('Authorization', 'Bearer garbage').send({ prompt: 'x' }),
      ]) {
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body.code).toBe('token_not_valid');
        expect(typeof res.body.detail).toBe('string');
      }
    });

    it('no credentials → 401 {"detail": ...}', async () => {
      const res = await http.get(root);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(typeof res.body.detail).toBe('string');
    });

    it('the native access token works here too', async () => {
      const res = await http.get(root).set('Authorization', alice.auth);
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
    });
  });

  it('a long malformed id (150 characters) → 404 exactly {"error": "Chat session not found"}', async () => {
    const id = 'z'.repeat(150);
    for (const base of ['/chatsessions', '/api/chatsessions']) {
      expectSeedBody(await http.get(`${base}/${id}/`).set('Authorization', alice.seedAuth), 404, NOT_FOUND);
      expectSeedBody(
        await http
          .post(`${base}/${id}/messages/`)
          .set('Authorization', alice.seedAuth)
          .send({ prompt: 'hi' }),
        404,
        NOT_FOUND,
      );
    }
  });

  it('an exchange whose session was made in the native API is listed with its response', async () => {
    const session = await http.post('/api/v1/chat-sessions').set('Authorization', alice.auth).send({});
    await http
      .post(`/api/v1/chat-sessions/${session.body.id}/messages`)
      .set('Authorization', alice.auth)
      .send({ content: 'native question' });
    const list = await http
      .get(`/chatsessions/${session.body.id}/messages/`)
      .set('Authorization', alice.seedAuth);
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({
      session: session.body.id,
      prompt: 'native question',
      response: echoAnswer('native question', 0),
    });
  });
});
