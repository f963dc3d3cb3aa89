import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { OpenAiFake } from './fakes/openai-fake.js';
import { waitUntil } from './fakes/helpers.js';
import {
  allMessages,
  ChatUser,
  createSession,
  expectMessageShape,
  expectProblem,
  messagesUrl,
  newUser,
  sendMessage,
  UNKNOWN_ID,
  usageTotals,
} from './utils/chat-helpers.js';
import {
  answerIdOf,
  deltaText,
  openAiEnv,
  resumeStream,
  SLOW_ANSWER,
  streamPastDeltas,
} from './utils/resume-helpers.js';
import { dataOf, eventShape, streamMessage } from './utils/sse-client.js';
import { startTestApp, TestApp } from './utils/test-app.js';

describe('stopping an answer (POST …/messages/:messageId/stop)', () => {
  const openai = new OpenAiFake();
  let t: TestApp;
  let user: ChatUser;

  beforeAll(async () => {
    await openai.start();
    t = await startTestApp(openAiEnv(openai));
    user = await newUser(t.http, 'stop');
  });
  afterAll(async () => {
    await t?.close();
    await openai.stop();
  });
  beforeEach(() => openai.reset());

  const stop = (sessionId: string, answerId: string, auth = user.auth) =>
    t.http.post(`${messagesUrl(sessionId)}/${answerId}/stop`).set('Authorization', auth);

  it('aborts the provider call, stores the partial text as `stopped`, ends the open streams with it; 200 with the message, then 409', async () => {
    const session = await createSession(t.http, user.auth);
    const usageBefore = await usageTotals(t.http, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 20, delayMs: 150 });
    const { answerId: third, done: streaming } = streamPastDeltas(
      t.baseUrl,
      user.auth,
      session.id,
      'a long answer please',
      3,
    );
    const answerId = await third;
    const follower = resumeStream(t.baseUrl, user.auth, session.id, answerId, 0);

    const stopped = await stop(session.id, answerId);
    expect(stopped.status).toBe(200);
    expectMessageShape(stopped.body);
    expect(stopped.body).toMatchObject({ id: answerId, role: 'assistant', status: 'stopped', error: null });

    const [res, other] = await Promise.all([streaming, follower]);
    for (const stream of [res, other]) {
      expect({ ended: stream.ended, shape: eventShape(stream) }).toEqual({
        ended: 'end',
        shape: ['message.created', 'delta…', 'message.completed'],
      });
      expect(dataOf(stream.events.at(-1))).toEqual(stopped.body);
      expect(deltaText(stream)).toBe(stopped.body.content);
    }
    expect(stopped.body.content.length).toBeGreaterThan(0);
    expect(stopped.body.content.length).toBeLessThan(SLOW_ANSWER.length);
    expect(SLOW_ANSWER.startsWith(stopped.body.content)).toBe(true);

    // The model's server saw its connection closed before the answer's end.
    await waitUntil(() => openai.requests[0]?.closed === true, 5_000);
    expect(openai.requests[0].closedEarly).toBe(true);
    expect((await allMessages(t.http, user.auth, session.id))[1]).toEqual(stopped.body);
    // A stopped answer counts in the usage as an answer, not a failure.
    const usageAfter = await usageTotals(t.http, user.auth);
    expect(usageAfter.answers - usageBefore.answers).toBe(1);
    expect(usageAfter.failures - usageBefore.failures).toBe(0);

    expectProblem(await stop(session.id, answerId), 409);
  });

  it('a stopped answer stays in later contexts', async () => {
    const session = await createSession(t.http, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 20, delayMs: 150 });
    const first = await streamMessage(t.baseUrl, user.auth, session.id, 'start talking', {
      onEvent: (e) => {
        if (e.event === 'delta' && deltaCount(e.id) === 2) {
          void stop(session.id, dataOf<{ message_id: string }>(e).message_id).then((r) => r.status);
        }
      },
    });
    const stopped = dataOf<{ content: string; status: string }>(first.events.at(-1));
    expect(stopped.status).toBe('stopped');
    openai.reset();
    await sendMessage(t.http, user.auth, session.id, 'go on');
    expect(openai.lastRequest?.body?.messages?.slice(-3)).toEqual([
      { role: 'user', content: 'start talking' },
      { role: 'assistant', content: stopped.content },
      { role: 'user', content: 'go on' },
    ]);
  });

  it("409 on a finished answer; 404 on a question, an unknown id or another user's answer", async () => {
    const session = await createSession(t.http, user.auth);
    const turn = await sendMessage(t.http, user.auth, session.id, 'done already');
    expectProblem(await stop(session.id, turn.assistant_message.id), 409);
    expectProblem(await stop(session.id, turn.user_message.id), 404);
    expectProblem(await stop(session.id, UNKNOWN_ID), 404);
    const other = await newUser(t.http, 'stop_other');
    expectProblem(await stop(session.id, turn.assistant_message.id, other.auth), 404);
  });

  it('a client that disconnects does not stop the answer', async () => {
    const session = await createSession(t.http, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 10, delayMs: 100 });
    const res = await streamMessage(t.baseUrl, user.auth, session.id, 'I will leave', {
      abortWhen: (e) => e.event === 'delta',
    });
    const answerId = answerIdOf(res);
    let status = '';
    await waitUntil(() => {
      void allMessages(t.http, user.auth, session.id).then((m) => (status = m[1]?.status ?? ''));
      return status === 'complete';
    }, 10_000);
    const stored = (await allMessages(t.http, user.auth, session.id))[1];
    expect(stored).toMatchObject({ id: answerId, status: 'complete', content: SLOW_ANSWER });
    expect(openai.requests[0].closedEarly).toBe(false);
  });
});

/** The event ids of a stream are 1 (message.created), then the deltas: the n-th delta is id n + 1. */
function deltaCount(id: string | undefined): number {
  return Number(id) - 1;
}
