import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { OpenAiFake } from './fakes/openai-fake.js';
import { waitUntil } from './fakes/helpers.js';
import {
  allMessages,
  bearer,
  ChatUser,
  createSession,
  expectProblem,
  messagesUrl,
  MessageBody,
  newUser,
  sendMessage,
  sleep,
  STRONG_PASSWORD,
  UNKNOWN_ID,
} from './utils/chat-helpers.js';
import {
  answerIdOf,
  deltaText,
  expectExactlyOnce,
  idsOf,
  openAiEnv,
  resumeStream,
  SLOW_ANSWER,
  dropAfterDeltas,
  streamPastDeltas,
} from './utils/resume-helpers.js';
import { dataOf, eventNames, eventShape, requestSse, streamMessage } from './utils/sse-client.js';
import { RunningServer, startServer, startTestApp, TestApp } from './utils/test-app.js';

const LEASE_MS = 1_500;
/** Events kept per answer: more than a 20-chunk answer has, fewer than a 40-chunk one. */
const MAX_EVENTS = 30;

describe('resuming a streamed answer (GET …/messages/:messageId/stream)', () => {
  const openai = new OpenAiFake();
  let t: TestApp;
  let user: ChatUser;

  beforeAll(async () => {
    await openai.start();
    t = await startTestApp(
      openAiEnv(openai, {
        GENERATION_RETAIN_MS: '1500',
        GENERATION_LEASE_MS: String(LEASE_MS),
        GENERATION_MAX_EVENTS: String(MAX_EVENTS),
      }),
    );
    user = await newUser(t.http, 'resume');
  });
  afterAll(async () => {
    await t?.close();
    await openai.stop();
  });
  beforeEach(() => openai.reset());

  it('the first event names the answer; a client that drops after 5 deltas resumes with Last-Event-ID: the rest exactly once, the text is the stored answer', async () => {
    const session = await createSession(t.http, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 20, delayMs: 100 });
    const first = await dropAfterDeltas(t.baseUrl, user.auth, session.id, 'a long answer please', 5);
    expect({ ended: first.ended, shape: eventShape(first) }).toEqual({
      ended: 'aborted',
      shape: ['message.created', 'delta…'],
    });
    const answerId = answerIdOf(first);
    for (const delta of first.events.slice(1)) expect(dataOf(delta).message_id).toBe(answerId);

    const resumed = await resumeStream(t.baseUrl, user.auth, session.id, answerId, idsOf(first).at(-1));
    expect({ status: resumed.status, ended: resumed.ended }).toEqual({ status: 200, ended: 'end' });
    expect(resumed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = expectExactlyOnce(first, resumed);
    expect(text).toBe(SLOW_ANSWER);
    const stored = (await allMessages(t.http, user.auth, session.id))[1];
    expect(stored).toMatchObject({ id: answerId, status: 'complete', content: text });
    expect(dataOf(resumed.events.at(-1))).toEqual(stored);
    // The generation went on while nobody listened: one provider call, read to its end.
    expect(openai.requests).toHaveLength(1);
    expect(openai.requests[0].closedEarly).toBe(false);
  });

  it('replays from the start without Last-Event-ID, from `?last_event_id=` for clients without headers, and follows a live answer to its end', async () => {
    const session = await createSession(t.http, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 10, delayMs: 100 });
    let answerId = '';
    const original = streamMessage(t.baseUrl, user.auth, session.id, 'follow me', {
      onEvent: (e) => {
        if (e.event === 'message.created')
          answerId = dataOf<{ assistant_message_id: string }>(e).assistant_message_id;
      },
    });
    await waitUntil(() => answerId !== '', 5_000);
    const [live, fromQuery, whole] = await Promise.all([
      resumeStream(t.baseUrl, user.auth, session.id, answerId),
      requestSse(`${t.baseUrl}${messagesUrl(session.id)}/${answerId}/stream?last_event_id=3`, {
        method: 'GET',
        headers: { authorization: user.auth },
      }),
      original,
    ]);
    expect(live.events.map((e) => [e.id, e.event, e.data])).toEqual(
      whole.events.map((e) => [e.id, e.event, e.data]),
    );
    expect(idsOf(fromQuery)).toEqual(idsOf(whole).slice(3));
    expect(deltaText(live)).toBe(SLOW_ANSWER);
  });

  it('on a finished answer whose events have expired, sends the final `message.completed` at once', async () => {
    const session = await createSession(t.http, user.auth);
    const turn = await sendMessage(t.http, user.auth, session.id, 'plain');
    const res = await resumeStream(t.baseUrl, user.auth, session.id, turn.assistant_message.id, 7);
    expect({ status: res.status, names: eventNames(res), ids: idsOf(res) }).toEqual({
      status: 200,
      names: ['message.completed'],
      ids: [8],
    });
    expect(dataOf(res.events[0])).toEqual(turn.assistant_message);

    openai.reply('short and streamed', { chunks: 2 });
    const streamed = await streamMessage(t.baseUrl, user.auth, session.id, 'again');
    await sleep(2_000); // past GENERATION_RETAIN_MS
    const late = await resumeStream(t.baseUrl, user.auth, session.id, answerIdOf(streamed), 1);
    expect(eventNames(late)).toEqual(['message.completed']);
    expect(dataOf(late.events[0])).toEqual(dataOf(streamed.events.at(-1)));
  });

  it('404 for a question, an unknown id, another session or another user; 400 for a malformed Last-Event-ID', async () => {
    const session = await createSession(t.http, user.auth);
    const turn = await sendMessage(t.http, user.auth, session.id, 'hello');
    const other = await newUser(t.http, 'resume_other');
    const theirs = await createSession(t.http, other.auth);
    const url = (sessionId: string, messageId: string) => `${messagesUrl(sessionId)}/${messageId}/stream`;
    for (const [sessionId, messageId, auth] of [
      [session.id, turn.user_message.id, user.auth],
      [session.id, UNKNOWN_ID, user.auth],
      [session.id, 'not-a-uuid', user.auth],
      [theirs.id, turn.assistant_message.id, user.auth],
      [session.id, turn.assistant_message.id, other.auth],
    ]) {
      const res = await t.http
        .get(url(sessionId, messageId))
        .set('Authorization', auth)
        .set('Accept', 'text/event-stream');
      expectProblem(res, 404);
    }
    const bad = await t.http
      .get(url(session.id, turn.assistant_message.id))
      .set('Authorization', user.auth)
      .set('Last-Event-ID', 'abc');
    expectProblem(bad, 400);
    expect(bad.body.errors).toEqual([{ field: 'Last-Event-ID', message: expect.any(String) }]);
    const badQuery = await t.http
      .get(`${url(session.id, turn.assistant_message.id)}?last_event_id=-1`)
      .set('Authorization', user.auth);
    expectProblem(badQuery, 400);
  });

  it('deleting the session mid-answer aborts the provider call and ends its streams with a 404 `error`', async () => {
    const session = await createSession(t.http, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 20, delayMs: 150 });
    let deltas = 0;
    let deleted: Promise<unknown> | undefined;
    const res = await streamMessage(t.baseUrl, user.auth, session.id, 'delete me midway', {
      onEvent: (e) => {
        if (e.event === 'delta' && ++deltas === 2)
          deleted = t.http
            .delete(`/api/v1/chat-sessions/${session.id}`)
            .set('Authorization', user.auth)
            .then((r) => r.status);
      },
    });
    expect(await deleted).toBe(204);
    expect(eventShape(res)).toEqual(['message.created', 'delta…', 'error']);
    expect(dataOf(res.events.at(-1))).toMatchObject({ status: 404 });
    expect(deltaText(res).length).toBeLessThan(SLOW_ANSWER.length);
    await waitUntil(() => openai.requests[0]?.closed === true, 5_000);
    expect(openai.requests[0].closedEarly).toBe(true);
  });

  /** Starts a 40-delta answer (`delayMs` apart) and resolves after its 32nd: its first events are dropped. */
  async function answerPastTheBound(delayMs: number) {
    const session = await createSession(t.http, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 40, delayMs });
    const { answerId, done } = streamPastDeltas(t.baseUrl, user.auth, session.id, 'a long answer', 32);
    return { session, answerId: await answerId, streaming: done };
  }

  it('an answer longer than GENERATION_MAX_EVENTS: a resume from before the oldest kept event gets no text with a hole: no deltas, then the whole stored answer', async () => {
    const { session, answerId, streaming } = await answerPastTheBound(30);
    const [resumed, whole] = await Promise.all([
      resumeStream(t.baseUrl, user.auth, session.id, answerId, 1),
      streaming,
    ]);

    // The request's own stream kept up: every event, once.
    expect(deltaText(whole)).toBe(SLOW_ANSWER);
    expect(idsOf(whole)).toEqual(whole.events.map((_, i) => i + 1));
    expect(eventNames(resumed)).toEqual(['message.completed']);
    expect(dataOf(resumed.events[0])).toMatchObject({
      id: answerId,
      status: 'complete',
      content: SLOW_ANSWER,
    });
    // Numbered after the event it was asked to follow.
    expect(Number(resumed.events[0].id)).toBeGreaterThan(1);
  });

  it('a stop keeps the whole partial text, although the bounded log no longer has its first deltas', async () => {
    const { session, answerId, streaming } = await answerPastTheBound(75);
    const stopped = await t.http
      .post(`${messagesUrl(session.id)}/${answerId}/stop`)
      .set('Authorization', user.auth);
    const own = await streaming;

    const partial = deltaText(own);
    expect(partial.split(' ').length).toBeGreaterThanOrEqual(32); // 32 chunks of a word at least
    expect(partial).not.toBe(SLOW_ANSWER);
    expect({ status: stopped.status, body: stopped.body as MessageBody }).toMatchObject({
      status: 200,
      body: { id: answerId, status: 'stopped', content: partial },
    });
    expect((await allMessages(t.http, user.auth, session.id))[1]).toMatchObject({
      status: 'stopped',
      content: partial,
    });
  });

  it('an answer whose server was killed is marked `failed` (`interrupted`) once its lease lapses; its resume ends with `error`; it can be regenerated', async () => {
    const session = await createSession(t.http, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 20, delayMs: 300 });
    const first = await streamMessage(t.baseUrl, user.auth, session.id, 'never finished', {
      abortWhen: (e) => e.event === 'delta',
    });
    const answerId = answerIdOf(first);
    process.kill(t.pid, 'SIGKILL');
    await t.stop();
    let restarted: RunningServer | undefined;
    try {
      restarted = await startServer(t.env);
      const http = request(restarted.baseUrl);
      const login = await http
        .post('/api/v1/auth/login')
        .send({ username: user.username, password: STRONG_PASSWORD });
      const auth = bearer(login.body.access_token as string);
      let answer: MessageBody | undefined;
      const started = Date.now();
      await waitUntil(
        () => {
          void allMessages(http, auth, session.id).then((m) => (answer = m[1]));
          return answer?.status === 'failed';
        },
        3 * LEASE_MS + 5_000,
      );
      expect(Date.now() - started).toBeLessThan(3 * LEASE_MS + 5_000);
      expect(answer).toMatchObject({ id: answerId, status: 'failed', error: 'interrupted' });

      const resumed = await resumeStream(restarted.baseUrl, auth, session.id, answerId, 2);
      expect(eventNames(resumed)).toEqual(['error']);
      expect(dataOf(resumed.events[0])).toMatchObject({ status: 503, message_id: answerId });

      openai.reset();
      const again = await http
        .post(`${messagesUrl(session.id)}/${answerId}/regenerate`)
        .set('Authorization', auth)
        .send({});
      expect(again.status).toBe(201);
      expect(again.body.assistant_message).toMatchObject({ status: 'complete', sibling_count: 2 });
    } finally {
      await restarted?.stop(); // last test: afterAll drops the database
    }
  });
});
