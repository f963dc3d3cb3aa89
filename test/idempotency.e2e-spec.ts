import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { waitUntil } from './fakes/helpers.js';
import { OpenAiFake } from './fakes/openai-fake.js';
import {
  allMessages,
  allSessions,
  bearer,
  ChatUser,
  createSession,
  expectProblem,
  messagesUrl,
  newUser,
  quickChatToken,
  SESSIONS,
  seedAccessToken,
  sleep,
  STRONG_PASSWORD,
  UNKNOWN_ID,
} from './utils/chat-helpers.js';
import {
  answerIdOf,
  expectExactlyOnce,
  idsOf,
  openAiEnv,
  SLOW_ANSWER,
  dropAfterDeltas,
} from './utils/resume-helpers.js';
import { eventShape, requestSse, streamMessage } from './utils/sse-client.js';
import { startServer, startTestApp, TestApp } from './utils/test-app.js';

describe('Idempotency-Key on turn-creating POSTs', () => {
  const openai = new OpenAiFake();
  let t: TestApp;
  let user: ChatUser;

  beforeAll(async () => {
    await openai.start();
    t = await startTestApp(openAiEnv(openai));
    user = await newUser(t.http, 'idem');
  });
  afterAll(async () => {
    await t?.close();
    await openai.stop();
  });
  beforeEach(() => openai.reset());

  const post = (path: string, key: string | undefined, body: object, auth = user.auth) => {
    const req = t.http.post(path).set('Authorization', auth);
    if (key !== undefined) req.set('Idempotency-Key', key);
    return req.send(body);
  };

  it('plain: the same key returns the original turn (one turn stored, one provider call); another key or user makes a new one', async () => {
    const session = await createSession(t.http, user.auth);
    const first = await post(messagesUrl(session.id), 'key-plain-1', { content: 'once' });
    expect(first.status).toBe(201);
    const again = await post(messagesUrl(session.id), 'key-plain-1', { content: 'once' });
    expect({ status: again.status, body: again.body as unknown }).toEqual({ status: 201, body: first.body });
    expect(openai.requests).toHaveLength(1);
    expect(await allMessages(t.http, user.auth, session.id)).toHaveLength(2);

    const other = await post(messagesUrl(session.id), 'key-plain-2', { content: 'once' });
    expect(other.body.assistant_message.id).not.toBe(first.body.assistant_message.id);
    const someoneElse = await newUser(t.http, 'idem_other');
    const theirs = await createSession(t.http, someoneElse.auth);
    const theirTurn = await post(
      messagesUrl(theirs.id),
      'key-plain-1',
      { content: 'once' },
      someoneElse.auth,
    );
    expect(theirTurn.status).toBe(201);
    expect(theirTurn.body.assistant_message.id).not.toBe(first.body.assistant_message.id);
    expect(
      (await t.http.get(`${SESSIONS}/${session.id}`).set('Authorization', user.auth)).body.message_count,
    ).toBe(4);
  });

  it('streamed: a client that re-sends its POST with the key and Last-Event-ID gets the rest of the same answer, exactly once', async () => {
    const session = await createSession(t.http, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 20, delayMs: 100 });
    const headers = { 'idempotency-key': 'key-stream-1' };
    const first = await dropAfterDeltas(t.baseUrl, user.auth, session.id, 'stream once', 5, headers);
    const resumed = await streamMessage(t.baseUrl, user.auth, session.id, 'stream once', {
      headers: { ...headers, 'last-event-id': String(idsOf(first).at(-1)) },
    });
    expect(expectExactlyOnce(first, resumed)).toBe(SLOW_ANSWER);
    expect(openai.requests).toHaveLength(1);
    const stored = await allMessages(t.http, user.auth, session.id);
    expect(stored.map((m) => m.id)).toEqual([stored[0].id, answerIdOf(first)]);

    // Without Last-Event-ID the whole stream again; as JSON, the stored turn.
    const replay = await streamMessage(t.baseUrl, user.auth, session.id, 'stream once', { headers });
    expect(eventShape(replay)).toEqual(['message.created', 'delta…', 'message.completed']);
    const plain = await post(messagesUrl(session.id), 'key-stream-1', { content: 'stream once' });
    expect(plain.status).toBe(201);
    expect(plain.body.assistant_message).toMatchObject({ id: answerIdOf(first), content: SLOW_ANSWER });
    expect(plain.body.user_message.id).toBe(stored[0].id);
  });

  it('edit and regenerate honour the key as well', async () => {
    const session = await createSession(t.http, user.auth);
    const turn = await post(messagesUrl(session.id), undefined, { content: 'first' });
    const answerId = turn.body.assistant_message.id as string;
    const questionId = turn.body.user_message.id as string;
    const regenerate = `${messagesUrl(session.id)}/${answerId}/regenerate`;
    const edit = `${messagesUrl(session.id)}/${questionId}/edit`;
    const [r1, r2] = [await post(regenerate, 'key-regen', {}), await post(regenerate, 'key-regen', {})];
    expect(r2.body).toEqual(r1.body);
    const [e1, e2] = [
      await post(edit, 'key-edit', { content: 'second' }),
      await post(edit, 'key-edit', { content: 'second' }),
    ];
    expect(e2.body).toEqual(e1.body);
    expect(openai.requests).toHaveLength(3);
  });

  it('a POST with Last-Event-ID and no key is a 400 pointing to the resume route; a malformed key is a 400; a failed request frees its key', async () => {
    const session = await createSession(t.http, user.auth);
    const res = await requestSse(`${t.baseUrl}${messagesUrl(session.id)}`, {
      headers: { authorization: user.auth, 'last-event-id': '4' },
      body: { content: 'reconnect' },
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ status: 400, detail: expect.stringContaining('/stream') });
    expect(await allMessages(t.http, user.auth, session.id)).toEqual([]);

    const bad = await post(messagesUrl(session.id), 'x'.repeat(256), { content: 'hi' });
    expectProblem(bad, 400);
    expect(bad.body.errors).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);

    // Refused after the key was claimed (the parent is checked while preparing the turn).
    const invalid = await post(messagesUrl(session.id), 'key-free', { content: 'hi', parent_id: UNKNOWN_ID });
    expectProblem(invalid, 400);
    const retried = await post(messagesUrl(session.id), 'key-free', { content: 'now valid' });
    expect(retried.status).toBe(201);
  });

  describe('the seed routes', () => {
    it('quick-chat POST /api/v1/chat: the same key answers 200 with the original {session_id, message}, even for another body; no session, message or provider call more', async () => {
      const auth = `Token ${await quickChatToken(t.http, user.username)}`;
      const sessionsBefore = (await allSessions(t.http, user.auth)).length;
      const first = await post('/api/v1/chat/', 'key-quick-1', { message: 'quick once' }, auth);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ session_id: expect.any(String), message: expect.any(String) });
      const again = await post('/api/v1/chat/', 'key-quick-1', { message: 'quick once' }, auth);
      expect({ status: again.status, body: again.body as unknown }).toEqual({
        status: 200,
        body: first.body,
      });
      const otherBody = { session_id: first.body.session_id, message: 'something else' };
      const reused = await post('/api/v1/chat', 'key-quick-1', otherBody, auth);
      expect({ status: reused.status, body: reused.body as unknown }).toEqual({
        status: 200,
        body: first.body,
      });

      expect(openai.requests).toHaveLength(1);
      expect(await allSessions(t.http, user.auth)).toHaveLength(sessionsBefore + 1);
      const stored = await allMessages(t.http, user.auth, first.body.session_id as string);
      expect(stored.map((m) => [m.role, m.content])).toEqual([
        ['user', 'quick once'],
        ['assistant', first.body.message],
      ]);
    });

    it('quick-chat: a malformed key is a 400 naming it; a provider failure frees the key for a retry', async () => {
      const auth = `Token ${await quickChatToken(t.http, user.username)}`;
      const bad = await post('/api/v1/chat/', 'bad key', { message: 'hi' }, auth);
      expect({ status: bad.status, body: bad.body as unknown }).toEqual({
        status: 400,
        body: { 'Idempotency-Key': [expect.any(String)] },
      });
      openai.fail(500);
      const failed = await post('/api/v1/chat/', 'key-quick-2', { message: 'fails first' }, auth);
      expect(failed.status).toBe(502);
      const retried = await post('/api/v1/chat/', 'key-quick-2', { message: 'fails first' }, auth);
      expect(retried.status).toBe(200);
      expect(openai.requests).toHaveLength(2);
    });

    it('sessions seed POST /chatsessions/:id/messages/: the same key answers 201 with the original exchange, even for another prompt; no exchange or provider call more', async () => {
      const auth = bearer(await seedAccessToken(t.http, user.username));
      const session = await t.http.post('/chatsessions/').set('Authorization', auth).send({});
      expect(session.status).toBe(201);
      const url = `/chatsessions/${session.body.id}/messages/`;
      const first = await post(url, 'key-seed-1', { prompt: 'seed once' }, auth);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ session: session.body.id, prompt: 'seed once' });
      const again = await post(url, 'key-seed-1', { prompt: 'seed once' }, auth);
      expect({ status: again.status, body: again.body as unknown }).toEqual({
        status: 201,
        body: first.body,
      });
      const reused = await post(
        `/api/chatsessions/${session.body.id}/messages`,
        'key-seed-1',
        { prompt: 'another prompt' },
        auth,
      );
      expect({ status: reused.status, body: reused.body as unknown }).toEqual({
        status: 201,
        body: first.body,
      });

      expect(openai.requests).toHaveLength(1);
      const exchanges = await t.http.get(url).set('Authorization', auth);
      expect(exchanges.body).toEqual([first.body]);
      expect(await allMessages(t.http, user.auth, session.body.id as string)).toHaveLength(2);

      const bad = await post(url, 'k'.repeat(256), { prompt: 'hi' }, auth);
      expect({ status: bad.status, body: bad.body as unknown }).toEqual({
        status: 400,
        body: { 'Idempotency-Key': [expect.any(String)] },
      });
    });
  });

  // Last: it kills the suite's server.
  it('a key whose server died before the turn was stored is free again after twice LLM_TIMEOUT_MS, not 409 for a day', async () => {
    const session = await createSession(t.http, user.auth);
    openai.hang();
    const dying = post(messagesUrl(session.id), 'key-dead', { content: 'lost with its server' }).catch(
      () => undefined, // its connection drops with the server
    );
    await waitUntil(() => openai.requests.length === 1, 10_000);
    const claimedAt = Date.now();
    // While its request lives, the key is in use (twice the suite's 10 s timeout is far off).
    const live = await post(messagesUrl(session.id), 'key-dead', { content: 'lost with its server' });
    expectProblem(live, 409);

    process.kill(t.pid, 'SIGKILL');
    await t.stop();
    await dying;
    const timeoutMs = 1_500;
    const restarted = await startServer({ ...t.env, LLM_TIMEOUT_MS: String(timeoutMs) });
    try {
      const http = request(restarted.baseUrl);
      const login = await http
        .post('/api/v1/auth/login')
        .send({ username: user.username, password: STRONG_PASSWORD });
      const auth = bearer(login.body.access_token as string);
      await sleep(Math.max(0, claimedAt + 2 * timeoutMs + 200 - Date.now()));
      openai.reset();
      const retried = await http
        .post(messagesUrl(session.id))
        .set('Authorization', auth)
        .set('Idempotency-Key', 'key-dead')
        .send({ content: 'lost with its server' });
      expect(retried.status).toBe(201);
      expect(openai.requests).toHaveLength(1);
      const messages = await allMessages(http, auth, session.id);
      expect(messages.map((m) => [m.role, m.content])).toEqual([
        ['user', 'lost with its server'],
        ['assistant', retried.body.assistant_message.content],
      ]);
      const again = await http
        .post(messagesUrl(session.id))
        .set('Authorization', auth)
        .set('Idempotency-Key', 'key-dead')
        .send({ content: 'lost with its server' });
      expect({ status: again.status, body: again.body as unknown }).toEqual({
        status: 201,
        body: retried.body,
      });
    } finally {
      await restarted.stop(); // last test: afterAll drops the database
    }
  });
});
