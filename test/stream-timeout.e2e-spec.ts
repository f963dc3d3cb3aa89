import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { splitText } from './fakes/fake-server.js';
import { OpenAiFake } from './fakes/openai-fake.js';
import { allMessages, ChatUser, createSession, newUser } from './utils/chat-helpers.js';
import { dataOf, deltaTexts, eventNames, eventShape, streamMessage } from './utils/sse-client.js';
import { startTestApp, TestApp } from './utils/test-app.js';

describe('streamed answers when the provider goes silent (LLM_TIMEOUT_MS=800)', () => {
  const openai = new OpenAiFake();
  let t: TestApp;
  let user: ChatUser;

  beforeAll(async () => {
    const base = (await openai.start()).baseUrl;
    t = await startTestApp({
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: `${base}/v1`,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
      LLM_TIMEOUT_MS: '800',
      LOGIN_MAX_FAILURES: '1000',
    });
    user = await newUser(t.http, 'stream_timeout');
  });
  afterAll(async () => {
    await t?.close();
    await openai.stop();
  });
  beforeEach(() => openai.reset());

  it('a provider that never answers: `error` event with 504 after about the timeout; the answer is stored `failed`', async () => {
    openai.hang();
    const session = await createSession(t.http, user.auth);
    const res = await streamMessage(t.baseUrl, user.auth, session.id, 'hello?', { timeoutMs: 10_000 });
    expect({ status: res.status, contentType: res.headers.get('content-type'), ended: res.ended }).toEqual({
      status: 200,
      contentType: expect.stringMatching(/^text\/event-stream/),
      ended: 'end',
    });
    expect(eventNames(res)).toEqual(['message.created', 'error']);
    const errorEvent = res.events[1];
    expect(dataOf(errorEvent)).toMatchObject({
      type: expect.any(String),
      title: expect.any(String),
      status: 504,
      detail: expect.any(String),
    });
    // measured from the request (the provider's timer starts before message.created is sent)
    const waited = (errorEvent?.receivedAt ?? 0) - res.startedAt;
    expect(waited).toBeGreaterThanOrEqual(750);
    expect(waited).toBeLessThan(4_000);

    const stored = await allMessages(t.http, user.auth, session.id);
    expect(stored.map((m) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'failed'],
    ]);
    expect(stored[1]).toMatchObject({ content: '', error: expect.stringMatching(/\S/) });
  });

  it('a stream that stalls between chunks longer than the timeout: 504 after the deltas so far, partial text kept', async () => {
    const text = 'one two three four five six';
    const pieces = splitText(text, 3);
    openai.reply(text, { chunks: 3, delayMs: 2_500 });
    const session = await createSession(t.http, user.auth);
    const res = await streamMessage(t.baseUrl, user.auth, session.id, 'stall please', { timeoutMs: 10_000 });
    expect(eventShape(res)).toEqual(['message.created', 'delta…', 'error']);
    expect(deltaTexts(res)).toEqual(pieces.slice(0, 1));
    expect(dataOf(res.events.at(-1)).status).toBe(504);
    const stored = await allMessages(t.http, user.auth, session.id);
    expect(stored[1]).toMatchObject({ role: 'assistant', status: 'failed', content: pieces[0] });
  });
});
