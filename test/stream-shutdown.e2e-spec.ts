import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { splitText } from './fakes/fake-server.js';
import { OpenAiFake } from './fakes/openai-fake.js';
import {
  allMessages,
  bearer,
  createSession,
  MessageBody,
  newUser,
  STRONG_PASSWORD,
} from './utils/chat-helpers.js';
import { dataOf, deferred, deltaTexts, eventShape, SseEvent, streamMessage } from './utils/sse-client.js';
import { RunningServer, startServer, startTestApp, TestApp } from './utils/test-app.js';

/** Forty words in twenty chunks 300 ms apart: six seconds of answer. */
const SLOW_ANSWER = Array.from({ length: 40 }, (_, i) => `word${i + 1}`).join(' ');

describe('server shutdown (SIGTERM) while a stream is open', () => {
  const openai = new OpenAiFake();
  let t: TestApp | undefined;
  let restarted: RunningServer | undefined;

  beforeAll(async () => {
    await openai.start();
  });
  afterAll(async () => {
    await restarted?.stop();
    await t?.close();
    await openai.stop();
  });

  it('the stream ends with an `error` event (503), the process exits 0, and the answer is stored `failed` with its partial text', async () => {
    t = await startTestApp({
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: `${openai.baseUrl}/v1`,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
      LLM_TIMEOUT_MS: '5000',
      LOGIN_MAX_FAILURES: '1000',
    });
    const user = await newUser(t.http, 'stream_shutdown');
    const session = await createSession(t.http, user.auth);

    openai.reply(SLOW_ANSWER, { chunks: 20, delayMs: 300 });
    const firstDelta = deferred<SseEvent>();
    const streaming = streamMessage(t.baseUrl, user.auth, session.id, 'a long answer please', {
      timeoutMs: 30_000,
      onEvent: (event) => {
        if (event.event === 'delta') firstDelta.resolve(event);
      },
    });
    await firstDelta.promise;

    const stopAsked = performance.now();
    const exitCode = await t.stop();
    const stopTook = performance.now() - stopAsked;
    const res = await streaming;

    // The client got a closing `error` event, then a cleanly ended body.
    expect(eventShape(res)).toEqual(['message.created', 'delta…', 'error']);
    expect(dataOf(res.events.at(-1))).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status: 503,
      detail: expect.any(String),
    });
    const networkError =
      res.error instanceof Error ? `${res.error.message} ${String(res.error.cause)}` : res.error;
    expect({ ended: res.ended, networkError }).toEqual({ ended: 'end', networkError: undefined });
    const deltas = deltaTexts(res);
    expect(deltas.length).toBeGreaterThanOrEqual(1);
    expect(deltas.length).toBeLessThan(20);
    const answerId = dataOf(res.events[1]).message_id as string;

    // The process shut down promptly and cleanly.
    expect({ exitCode, withinLimit: stopTook < 15_000 }).toEqual({ exitCode: 0, withinLimit: true });

    // On a new server over the same database: the answer is `failed` with the partial text.
    restarted = await startServer(t.env);
    const http = request(restarted.baseUrl);
    const login = await http
      .post('/api/v1/auth/login')
      .send({ username: user.username, password: STRONG_PASSWORD });
    expect(login.status).toBe(200);
    const auth = bearer(login.body.access_token as string);
    const stored = await allMessages(http, auth, session.id);
    expect(stored.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'failed'],
    ]);
    const answer: MessageBody = stored[1];
    expect(answer).toMatchObject({
      id: answerId,
      status: 'failed',
      content: deltas.join(''),
      error: expect.stringMatching(/\S/),
    });
    expect(SLOW_ANSWER.startsWith(answer.content)).toBe(true);
    expect(answer.content.length).toBeGreaterThan(0);
    expect(splitText(SLOW_ANSWER, 20)).toHaveLength(20);
  });
});
