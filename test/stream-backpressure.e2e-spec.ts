import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { OpenAiFake } from './fakes/openai-fake.js';
import {
  allMessages,
  ChatUser,
  createSession,
  MessageBody,
  messagesUrl,
  newUser,
  sleep,
} from './utils/chat-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

/** About 8.4 MB: twice what the kernel's socket buffers hold here (the sender's grow to 4 MiB). */
const LONG_ANSWER = 'unread '.repeat(1_200_000);

describe('SSE backpressure: a client that stops reading', () => {
  let fake: OpenAiFake;
  let t: TestApp;
  let user: ChatUser;

  beforeAll(async () => {
    fake = new OpenAiFake();
    const { baseUrl } = await fake.start();
    t = await startTestApp({
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: `${baseUrl}/v1`,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
    });
    user = await newUser(t.http, 'backpressure');
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('is dropped after a bounded backlog, while the whole answer is generated and stored', async () => {
    fake.reply(LONG_ANSWER, { chunks: 2000 });
    const session = await createSession(t.http, user.auth);
    const body = JSON.stringify({ content: 'Tell me everything.' });
    const socket = connect(Number(new URL(t.baseUrl).port), '127.0.0.1');
    let received = 0;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(
      `POST ${messagesUrl(session.id)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${user.auth}\r\n` +
        'Content-Type: application/json\r\nAccept: text/event-stream\r\nConnection: close\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    // The socket is never read (no 'data' listener) until the answer is stored.
    let answer: MessageBody | undefined;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
      answer = (await allMessages(t.http, user.auth, session.id)).find((m) => m.role === 'assistant');
      if (answer?.status === 'complete') break;
    }
    expect({ status: answer?.status, length: answer?.content.length }).toEqual({
      status: 'complete',
      length: LONG_ANSWER.length,
    });
    expect(answer?.content === LONG_ANSWER).toBe(true);

    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    await closed;
    // What the server kept for this client: its bounded backlog plus what the kernel buffered, not the answer.
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(LONG_ANSWER.length * 0.75);
  });
});
