import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import {
  allSessions,
  bearer,
  ChatUser,
  createSession,
  newUser,
  quickChatToken,
  seedAccessToken,
  sendMessage,
} from './utils/chat-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

interface FullUser extends ChatUser {
  token: string;
  seedAuth: string;
}

/** User A's sessions, made through each API family, never show in any list of user B. */
describe('isolation between users across the three chat families', () => {
  let t: TestApp;
  let http: TestAgent;
  let a: FullUser;
  let b: FullUser;
  const aSessions: string[] = [];
  const bSessions: string[] = [];

  async function fullUser(prefix: string): Promise<FullUser> {
    const user = await newUser(http, prefix);
    return {
      ...user,
      token: await quickChatToken(http, user.username),
      seedAuth: bearer(await seedAccessToken(http, user.username)),
    };
  }

  async function makeSessions(user: FullUser, into: string[]): Promise<void> {
    const native = await createSession(http, user.auth, { title: `${user.username} native` });
    await sendMessage(http, user.auth, native.id, `${user.username} private native message`);
    const quick = await http
      .post('/api/v1/chat/')
      .set('Authorization', `Token ${user.token}`)
      .send({ message: `${user.username} private quick message` });
    expect(quick.status).toBe(200);
    const seed = await http
      .post('/chatsessions/')
      .set('Authorization', user.seedAuth)
      .send({ title: `${user.username} seed` });
    expect(seed.status).toBe(201);
    const prompt = await http
      .post(`/chatsessions/${seed.body.id}/messages/`)
      .set('Authorization', user.seedAuth)
      .send({ prompt: `${user.username} private seed prompt` });
    expect(prompt.status).toBe(201);
    into.push(native.id, quick.body.session_id as string, seed.body.id as string);
  }

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    http = t.http;
    a = await fullUser('isoa');
    b = await fullUser('isob');
    await makeSessions(a, aSessions);
    await makeSessions(b, bSessions);
  });
  afterAll(async () => {
    await t?.close();
  });

  const listsOf = async (user: FullUser): Promise<Record<string, string[]>> => ({
    native: (await allSessions(http, user.auth)).map((s) => s.id),
    quickChat: (
      (await http.get('/api/v1/chat/chats-history/').set('Authorization', `Token ${user.token}`)).body as {
        session_id: string;
      }[]
    ).map((s) => s.session_id),
    seed: (
      (await http.get('/chatsessions/').set('Authorization', user.seedAuth)).body as { id: string }[]
    ).map((s) => s.id),
    seedApi: (
      (await http.get('/api/chatsessions/').set('Authorization', user.seedAuth)).body as { id: string }[]
    ).map((s) => s.id),
  });

  it("B's lists, in every family, hold exactly B's sessions and none of A's", async () => {
    const lists = await listsOf(b);
    for (const [family, ids] of Object.entries(lists)) {
      for (const id of aSessions)
        expect({ family, leaked: ids.includes(id) }).toEqual({ family, leaked: false });
      expect({ family, ids: [...ids].sort() }).toEqual({ family, ids: [...bSessions].sort() });
    }
  });

  it("A's lists, in every family, hold all of A's sessions, whichever family made them", async () => {
    const lists = await listsOf(a);
    for (const [family, ids] of Object.entries(lists)) {
      expect({ family, ids: [...ids].sort() }).toEqual({ family, ids: [...aSessions].sort() });
    }
  });

  it("B cannot read A's sessions by id in any family", async () => {
    for (const id of aSessions) {
      const native = await http.get(`/api/v1/chat-sessions/${id}/messages`).set('Authorization', b.auth);
      expect(native.status).toBe(404);
      const quick = await http.get(`/api/v1/chat/chats/${id}/`).set('Authorization', `Token ${b.token}`);
      expect(quick.status).toBe(404);
      const seed = await http.get(`/chatsessions/${id}/messages/`).set('Authorization', b.seedAuth);
      expect(seed.status).toBe(404);
      for (const res of [native, quick, seed]) expect(res.text).not.toContain(a.username);
    }
  });

  it("B cannot write into A's sessions in any family", async () => {
    for (const id of aSessions) {
      expect(
        (
          await http
            .post(`/api/v1/chat-sessions/${id}/messages`)
            .set('Authorization', b.auth)
            .send({ content: 'x' })
        ).status,
      ).toBe(404);
      expect(
        (
          await http
            .post('/api/v1/chat/')
            .set('Authorization', `Token ${b.token}`)
            .send({ session_id: id, message: 'x' })
        ).status,
      ).toBe(404);
      expect(
        (
          await http
            .post(`/chatsessions/${id}/messages/`)
            .set('Authorization', b.seedAuth)
            .send({ prompt: 'x' })
        ).status,
      ).toBe(404);
      expect((await http.delete(`/chatsessions/${id}/`).set('Authorization', b.seedAuth)).status).toBe(404);
      expect((await http.delete(`/api/v1/chat-sessions/${id}`).set('Authorization', b.auth)).status).toBe(
        404,
      );
    }
    const after = await allSessions(http, a.auth);
    expect(after.map((s) => s.id).sort()).toEqual([...aSessions].sort());
    for (const s of after) expect(s.message_count).toBe(2);
  });
});
