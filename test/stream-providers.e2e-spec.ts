import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import { AnthropicFake } from './fakes/anthropic-fake.js';
import { fakeTokens, splitText } from './fakes/fake-server.js';
import { GeminiFake } from './fakes/gemini-fake.js';
import { OpenAiFake } from './fakes/openai-fake.js';
import {
  allMessages,
  ChatUser,
  createSession,
  expectMessageShape,
  messagesUrl,
  MessageBody,
  newUser,
  sendMessage,
  sleep,
  UNKNOWN_ID,
} from './utils/chat-helpers.js';
import {
  createdQuestion,
  dataOf,
  deltaTexts,
  eventNames,
  eventShape,
  requestSse,
  SseResult,
  streamMessage,
} from './utils/sse-client.js';
import { startTestApp, TestApp } from './utils/test-app.js';

/** Twelve words: the fakes cut it into exactly six pieces of two words. */
const ANSWER = 'Streams arrive piece by piece so readers see words as they come.';
const PIECES = splitText(ANSWER, 6);

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  request_id?: string;
}

/** 200, `text/event-stream`, proxy buffering off. */
function expectSseHeaders(res: SseResult): void {
  expect({
    status: res.status,
    contentType: res.headers.get('content-type'),
    accelBuffering: res.headers.get('x-accel-buffering'),
  }).toEqual({
    status: 200,
    contentType: expect.stringMatching(/^text\/event-stream/),
    accelBuffering: 'no',
  });
}

/** Every event has an `id:` that is an integer, strictly increasing. */
function expectIncreasingIds(res: SseResult): void {
  const ids = res.events.map((e) => e.id);
  for (const id of ids) expect(id).toMatch(/^\d+$/);
  const numbers = ids.map(Number);
  const increasing = numbers.every((n, i) => i === 0 || n > numbers[i - 1]);
  expect({ ids: numbers, increasing }).toEqual({ ids: numbers, increasing: true });
}

/** The `error` event's body: problem details with the given status (and the stream's request id). */
function expectErrorEvent(res: SseResult, status: number): Problem {
  const last = res.events.at(-1);
  expect(last?.event).toBe('error');
  const problem = dataOf<Problem>(last);
  expect(problem).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
  expect(problem.detail.length).toBeGreaterThan(0);
  if (problem.request_id !== undefined) expect(problem.request_id).toBe(res.headers.get('x-request-id'));
  return problem;
}

describe('streamed answers (SSE) with the OpenAI, Gemini and Anthropic adapters against the wire fakes', () => {
  const openai = new OpenAiFake();
  const gemini = new GeminiFake();
  const anthropic = new AnthropicFake();
  let t: TestApp;
  let http: TestAgent;
  let user: ChatUser;

  beforeAll(async () => {
    const openaiBase = (await openai.start()).baseUrl;
    const geminiBase = (await gemini.start()).baseUrl;
    const anthropicBase = (await anthropic.start()).baseUrl;
    t = await startTestApp({
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: `${openaiBase}/v1`,
      GEMINI_API_KEY: 'test-key',
      GEMINI_BASE_URL: geminiBase,
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: anthropicBase,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
      LLM_TIMEOUT_MS: '5000',
      LOGIN_MAX_FAILURES: '1000',
    });
    http = t.http;
    user = await newUser(http, 'stream');
  });
  afterAll(async () => {
    await t?.close();
    await openai.stop();
    await gemini.stop();
    await anthropic.stop();
  });
  beforeEach(() => {
    openai.reset();
    gemini.reset();
    anthropic.reset();
  });

  /**
   * The checks shared by the OpenAI, Gemini and Anthropic streams of ANSWER in six chunks 150 ms apart; returns
   * the `message.created` and `message.completed` bodies.
   */
  async function expectIncrementalTurn(
    res: SseResult,
    sessionId: string,
    question: string,
    provider: string,
  ): Promise<{ created: MessageBody; completed: MessageBody }> {
    expectSseHeaders(res);
    expect(res.ended).toBe('end');
    expect(eventShape(res)).toEqual(['message.created', 'delta…', 'message.completed']);
    expectIncreasingIds(res);

    // One delta per provider chunk, as the provider sent it, delivered as it came.
    const deltas = deltaTexts(res);
    expect(deltas).toEqual(PIECES);
    const deltaEvents = res.events.filter((e) => e.event === 'delta');
    const spread = (deltaEvents.at(-1)?.receivedAt ?? 0) - (deltaEvents[0]?.receivedAt ?? 0);
    expect(spread).toBeGreaterThanOrEqual(500);

    const created = createdQuestion<MessageBody>(res.events[0]);
    const completed = dataOf<MessageBody>(res.events.at(-1));
    expectMessageShape(created);
    expectMessageShape(completed);
    expect(created).toMatchObject({ role: 'user', content: question, session_id: sessionId });
    expect(completed).toMatchObject({
      role: 'assistant',
      session_id: sessionId,
      status: 'complete',
      content: deltas.join(''),
      provider,
      error: null,
      usage: { prompt_tokens: expect.any(Number), completion_tokens: fakeTokens(ANSWER) },
    });
    expect(completed.content).toBe(ANSWER);
    for (const delta of deltaEvents) expect(dataOf(delta).message_id).toBe(completed.id);

    // What was streamed is what was stored.
    const stored = await allMessages(http, user.auth, sessionId);
    expect(stored).toHaveLength(2);
    expect(stored[0]).toEqual(created);
    expect(stored[1]).toEqual(completed);
    return { created, completed };
  }

  describe('a streamed answer', () => {
    it('OpenAI: 200 text/event-stream, message.created → one delta per chunk as it comes → message.completed; deltas = stored content', async () => {
      openai.reply(ANSWER, { chunks: 6, delayMs: 150 });
      const session = await createSession(http, user.auth);
      const res = await streamMessage(t.baseUrl, user.auth, session.id, 'Tell me about streams');
      await expectIncrementalTurn(res, session.id, 'Tell me about streams', 'openai');

      expect(openai.requests).toHaveLength(1);
      const sent = openai.lastRequest;
      expect(sent?.path).toBe('/v1/chat/completions');
      expect(sent?.body).toMatchObject({
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Tell me about streams' }],
      });
      expect(gemini.requests).toHaveLength(0);
    });

    it('Gemini: the same events from `:streamGenerateContent?alt=sse`', async () => {
      gemini.reply(ANSWER, { chunks: 6, delayMs: 150 });
      const session = await createSession(http, user.auth, { provider: 'gemini' });
      const res = await streamMessage(t.baseUrl, user.auth, session.id, 'Gemini, stream please');
      await expectIncrementalTurn(res, session.id, 'Gemini, stream please', 'gemini');

      expect(gemini.requests).toHaveLength(1);
      expect(gemini.lastRequest?.path).toMatch(
        /^\/v1(beta)?\/models\/[^/:]+:streamGenerateContent\?alt=sse$/,
      );
      expect(gemini.lastRequest?.body?.contents).toEqual([
        { role: 'user', parts: [{ text: 'Gemini, stream please' }] },
      ]);
      expect(openai.requests).toHaveLength(0);
    });

    it('Anthropic: the same events from the Messages API stream (message_start … message_stop)', async () => {
      anthropic.reply(ANSWER, { chunks: 6, delayMs: 150 });
      const session = await createSession(http, user.auth, {
        provider: 'anthropic',
        system_prompt: 'Be brief.',
      });
      const res = await streamMessage(t.baseUrl, user.auth, session.id, 'Claude, stream please');
      const { completed } = await expectIncrementalTurn(
        res,
        session.id,
        'Claude, stream please',
        'anthropic',
      );
      const body = anthropic.lastRequest?.body;
      expect(completed.usage).toEqual({
        prompt_tokens: fakeTokens([body?.system, body?.messages]),
        completion_tokens: fakeTokens(ANSWER),
      });

      expect(anthropic.requests).toHaveLength(1);
      expect(anthropic.lastRequest?.path).toBe('/v1/messages');
      expect(body).toEqual({
        model: 'claude-sonnet-4-6',
        max_tokens: 8192,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'Claude, stream please' }],
        stream: true,
      });
      expect(openai.requests).toHaveLength(0);
    });

    it('the message is stored as `streaming` while the stream is open, then `complete`', async () => {
      openai.reply(ANSWER, { chunks: 6, delayMs: 200 });
      const session = await createSession(http, user.auth);
      let during: MessageBody[] | undefined;
      const res = await streamMessage(t.baseUrl, user.auth, session.id, 'watch me stream', {
        onEvent: (event) => {
          if (event.event === 'delta' && during === undefined) {
            during = [];
            void allMessages(http, user.auth, session.id).then((m) => (during = m));
          }
        },
      });
      expect(eventShape(res)).toEqual(['message.created', 'delta…', 'message.completed']);
      expect(during?.map((m) => [m.role, m.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'streaming'],
      ]);
      const after = await allMessages(http, user.auth, session.id);
      expect(after[1]?.status).toBe('complete');
    });
  });

  describe('a client that disconnects', () => {
    it('does not stop the answer: generation goes on and the full answer is stored as complete', async () => {
      openai.reply(ANSWER, { chunks: 6, delayMs: 200 });
      const session = await createSession(http, user.auth);
      const res = await streamMessage(t.baseUrl, user.auth, session.id, 'I will hang up', {
        abortWhen: (event) => event.event === 'delta',
      });
      expect(res.ended).toBe('aborted');
      expect(eventNames(res)).toEqual(['message.created', 'delta']);
      const answerId = dataOf(res.events[1]).message_id as string;

      // Right after the abort, the provider is still sending (5 × 200 ms to go).
      const during = await allMessages(http, user.auth, session.id);
      expect(during.map((m) => [m.role, m.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'streaming'],
      ]);
      expect(during[1]?.id).toBe(answerId);

      let stored: MessageBody | undefined;
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        stored = (await allMessages(http, user.auth, session.id))[1];
        if (stored?.status !== 'streaming') break;
        await sleep(100);
      }
      expect(stored).toMatchObject({
        id: answerId,
        role: 'assistant',
        status: 'complete',
        content: ANSWER,
        error: null,
        usage: { prompt_tokens: expect.any(Number), completion_tokens: fakeTokens(ANSWER) },
      });
      // The provider call itself ran to its end rather than being cut with the client.
      expect(openai.requests).toHaveLength(1);
      expect(openai.lastRequest?.closedEarly).toBe(false);
    });
  });

  describe('provider failures after the stream opened end it with an `error` event', () => {
    it('a stream cut after two chunks: error 502; the answer is stored `failed` with the partial text and an error', async () => {
      openai.failMidStream(2, { text: ANSWER, chunks: 6, delayMs: 50 });
      const session = await createSession(http, user.auth);
      const res = await streamMessage(t.baseUrl, user.auth, session.id, 'this one breaks');
      expectSseHeaders(res);
      expect(res.ended).toBe('end');
      expect(eventShape(res)).toEqual(['message.created', 'delta…', 'error']);
      expectIncreasingIds(res);
      const partial = PIECES.slice(0, 2).join('');
      expect(deltaTexts(res)).toEqual(PIECES.slice(0, 2));
      expectErrorEvent(res, 502);

      const stored = await allMessages(http, user.auth, session.id);
      expect(stored).toHaveLength(2);
      expect(stored[0]).toEqual(createdQuestion(res.events[0]));
      expect(stored[0]).toMatchObject({ role: 'user', content: 'this one breaks', status: 'complete' });
      expect(stored[1]).toMatchObject({
        id: dataOf(res.events[1]).message_id,
        role: 'assistant',
        status: 'failed',
        content: partial,
        error: expect.stringMatching(/\S/),
      });
    });

    it('a 429 before any chunk: the stream is already open, so an `error` event with 503 (no delta)', async () => {
      openai.fail(429);
      const session = await createSession(http, user.auth);
      const res = await streamMessage(t.baseUrl, user.auth, session.id, 'rate limited');
      expectSseHeaders(res);
      expect(res.ended).toBe('end');
      expect(eventNames(res)).toEqual(['message.created', 'error']);
      expectIncreasingIds(res);
      expectErrorEvent(res, 503);

      const stored = await allMessages(http, user.auth, session.id);
      expect(stored.map((m) => [m.role, m.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'failed'],
      ]);
      expect(stored[1]).toMatchObject({ content: '', error: expect.stringMatching(/\S/) });
    });

    it('a Gemini 500 before any chunk: an `error` event with 502', async () => {
      gemini.fail(500);
      const session = await createSession(http, user.auth, { provider: 'gemini' });
      const res = await streamMessage(t.baseUrl, user.auth, session.id, 'gemini breaks');
      expectSseHeaders(res);
      expect(eventNames(res)).toEqual(['message.created', 'error']);
      expectErrorEvent(res, 502);
      const stored = await allMessages(http, user.auth, session.id);
      expect(stored[1]).toMatchObject({ role: 'assistant', status: 'failed' });
    });
  });

  describe('Anthropic failures inside and before a stream', () => {
    it.each([
      ['overloaded_error', 503],
      ['api_error', 502],
    ])(
      'an `%s` event after two deltas: error %i; the answer is stored `failed` with the partial text',
      async (errorType, status) => {
        anthropic.errorMidStream(2, errorType, { text: ANSWER, chunks: 6, delayMs: 50 });
        const session = await createSession(http, user.auth, { provider: 'anthropic' });
        const res = await streamMessage(t.baseUrl, user.auth, session.id, 'this one breaks');
        expectSseHeaders(res);
        expect(eventShape(res)).toEqual(['message.created', 'delta…', 'error']);
        expectIncreasingIds(res);
        expect(deltaTexts(res)).toEqual(PIECES.slice(0, 2));
        const problem = expectErrorEvent(res, status);
        expect(problem.detail).toMatch(new RegExp(`^Anthropic .*\\(${errorType} event\\)`));
        const stored = await allMessages(http, user.auth, session.id);
        expect(stored[1]).toMatchObject({
          role: 'assistant',
          status: 'failed',
          content: PIECES.slice(0, 2).join(''),
          error: problem.detail,
        });
      },
    );

    it('a 529 before any chunk: an `error` event with 503 (no delta)', async () => {
      anthropic.fail(529);
      const session = await createSession(http, user.auth, { provider: 'anthropic' });
      const res = await streamMessage(t.baseUrl, user.auth, session.id, 'overloaded');
      expect(eventNames(res)).toEqual(['message.created', 'error']);
      expect(expectErrorEvent(res, 503).detail).toMatch(/^Anthropic is overloaded \(HTTP 529\)/);
    });

    it('a stream cut after two chunks: error 502, the partial text stored as failed', async () => {
      anthropic.failMidStream(2, { text: ANSWER, chunks: 6, delayMs: 50 });
      const session = await createSession(http, user.auth, { provider: 'anthropic' });
      const res = await streamMessage(t.baseUrl, user.auth, session.id, 'cut me off');
      expect(eventShape(res)).toEqual(['message.created', 'delta…', 'error']);
      expectErrorEvent(res, 502);
      const stored = await allMessages(http, user.auth, session.id);
      expect(stored[1]).toMatchObject({ status: 'failed', content: PIECES.slice(0, 2).join('') });
    });
  });

  describe('errors before the stream opens are ordinary problem+json answers', () => {
    function expectPlainProblem(res: SseResult, status: number): void {
      expect({ status: res.status, contentType: res.headers.get('content-type') }).toEqual({
        status,
        contentType: expect.stringMatching(/^application\/problem\+json/),
      });
      expect(res.events).toEqual([]);
      expect(JSON.parse(res.text)).toMatchObject({
        type: expect.any(String),
        title: expect.any(String),
        status,
        detail: expect.any(String),
        request_id: res.headers.get('x-request-id'),
      });
    }

    it('unknown session → 404', async () => {
      const res = await streamMessage(t.baseUrl, user.auth, UNKNOWN_ID, 'anyone there?');
      expectPlainProblem(res, 404);
      expect(openai.requests).toHaveLength(0);
    });

    it("another user's session → 404, nothing stored in it", async () => {
      const other = await newUser(http, 'stream_other');
      const theirs = await createSession(http, other.auth);
      const res = await streamMessage(t.baseUrl, user.auth, theirs.id, 'not mine');
      expectPlainProblem(res, 404);
      expect(await allMessages(http, other.auth, theirs.id)).toEqual([]);
    });

    it('empty content → 400 naming `content`, nothing stored', async () => {
      const session = await createSession(http, user.auth);
      const res = await streamMessage(t.baseUrl, user.auth, session.id, '');
      expectPlainProblem(res, 400);
      const body = JSON.parse(res.text) as { errors?: { field: string }[] };
      expect(body.errors?.map((e) => e.field)).toContain('content');
      expect(await allMessages(http, user.auth, session.id)).toEqual([]);
      expect(openai.requests).toHaveLength(0);
    });

    it('no token → 401', async () => {
      const session = await createSession(http, user.auth);
      const res = await requestSse(`${t.baseUrl}${messagesUrl(session.id)}`, { body: { content: 'hi' } });
      expectPlainProblem(res, 401);
    });
  });

  describe('memory: a streamed turn sends the same context as a non-streamed one', () => {
    it('system prompt and earlier turns reach the provider in the streamed request, and the streamed answer is memory for the next turn', async () => {
      const session = await createSession(http, user.auth, { system_prompt: 'You are terse.' });
      openai.reply('Hi Ada.');
      await sendMessage(http, user.auth, session.id, 'My name is Ada.');

      openai.reply('Your name is Ada.', { chunks: 2 });
      const res = await streamMessage(t.baseUrl, user.auth, session.id, 'What is my name?');
      expect(eventShape(res)).toEqual(['message.created', 'delta…', 'message.completed']);
      const secondTurn = [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Hi Ada.' },
        { role: 'user', content: 'What is my name?' },
      ];
      expect(openai.requests[1]?.body?.messages).toEqual(secondTurn);
      expect(openai.requests[1]?.body?.stream).toBe(true);

      // The same conversation without streaming sends the very same messages.
      const plain = await createSession(http, user.auth, { system_prompt: 'You are terse.' });
      openai.reply('Hi Ada.');
      await sendMessage(http, user.auth, plain.id, 'My name is Ada.');
      await sendMessage(http, user.auth, plain.id, 'What is my name?');
      expect(openai.requests[3]?.body?.messages).toEqual(openai.requests[1]?.body?.messages);

      // The streamed answer is part of the memory of the next turn, streamed or not.
      await sendMessage(http, user.auth, session.id, 'And now?');
      expect(openai.requests[4]?.body?.messages).toEqual([
        ...secondTurn,
        { role: 'assistant', content: 'Your name is Ada.' },
        { role: 'user', content: 'And now?' },
      ]);
    });

    it('a failed streamed turn is left out of the next context', async () => {
      const session = await createSession(http, user.auth);
      openai.reply('First answer.');
      await streamMessage(t.baseUrl, user.auth, session.id, 'first question');
      openai.failMidStream(1, { text: 'partial words that never finish', chunks: 3 });
      const failed = await streamMessage(t.baseUrl, user.auth, session.id, 'doomed question');
      expect(eventNames(failed).at(-1)).toBe('error');
      await streamMessage(t.baseUrl, user.auth, session.id, 'third question');
      expect(openai.requests[2]?.body?.messages).toEqual([
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'First answer.' },
        { role: 'user', content: 'third question' },
      ]);
    });
  });
});
