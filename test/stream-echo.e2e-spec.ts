import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  allMessages,
  ChatUser,
  createSession,
  echoAnswer,
  expectMessageShape,
  MessageBody,
  newUser,
  sendMessage,
} from './utils/chat-helpers.js';
import { createdQuestion, dataOf, deltaTexts, eventShape, streamMessage } from './utils/sse-client.js';
import { startTestApp, TestApp } from './utils/test-app.js';

describe('streamed answers from the echo provider (a server with no provider configured)', () => {
  let t: TestApp;
  let user: ChatUser;

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    user = await newUser(t.http, 'stream_echo');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('streams the echo answer in several deltas; deltas = completed content = stored content', async () => {
    const session = await createSession(t.http, user.auth);
    const res = await streamMessage(t.baseUrl, user.auth, session.id, 'hello stream');
    expect({
      status: res.status,
      contentType: res.headers.get('content-type'),
      accelBuffering: res.headers.get('x-accel-buffering'),
      ended: res.ended,
    }).toEqual({
      status: 200,
      contentType: expect.stringMatching(/^text\/event-stream/),
      accelBuffering: 'no',
      ended: 'end',
    });
    expect(eventShape(res)).toEqual(['message.created', 'delta…', 'message.completed']);
    const ids = res.events.map((e) => Number(e.id));
    expect(ids.every((id, i) => Number.isInteger(id) && (i === 0 || id > ids[i - 1]))).toBe(true);

    const deltas = deltaTexts(res);
    expect(deltas.length).toBeGreaterThan(3);
    const answer = echoAnswer('hello stream', 0);
    expect(deltas.join('')).toBe(answer);

    const completed = dataOf<MessageBody>(res.events.at(-1));
    expectMessageShape(completed);
    expect(completed).toMatchObject({
      role: 'assistant',
      status: 'complete',
      provider: 'echo',
      content: answer,
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) },
    });
    const stored = await allMessages(t.http, user.auth, session.id);
    expect(stored).toEqual([createdQuestion(res.events[0]), completed]);
  });

  it('the echo answer sees the earlier turns of the session (memory) when streamed', async () => {
    const session = await createSession(t.http, user.auth);
    await sendMessage(t.http, user.auth, session.id, 'first');
    const res = await streamMessage(t.baseUrl, user.auth, session.id, 'second');
    expect(deltaTexts(res).join('')).toBe(echoAnswer('second', 2));
  });
});
