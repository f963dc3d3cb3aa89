import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import { waitUntil } from './fakes/helpers.js';
import { AnthropicFake } from './fakes/anthropic-fake.js';
import { GeminiFake } from './fakes/gemini-fake.js';
import { OpenAiFake, type OpenAiRequestBody } from './fakes/openai-fake.js';
import type { RecordedRequest } from './fakes/fake-server.js';
import {
  ChatUser,
  createSession,
  messagesUrl,
  newUser,
  sendMessage,
  SESSIONS,
  sleep,
} from './utils/chat-helpers.js';
import { dataOf, eventNames, streamMessage } from './utils/sse-client.js';
import { startTestApp, TestApp } from './utils/test-app.js';

const QUESTION = 'Plan a relaxed weekend in Lisbon for two food lovers';
/** The title the question gives at once, kept when the model's title fails (under 60 characters: whole). */
const QUESTION_TITLE = QUESTION;
/** How long the app may take to store a title after the fake sent it. */
const SETTLE_MS = 400;

describe('session titles from the model', () => {
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
    user = await newUser(http, 'titles');
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

  const titleOf = async (sessionId: string): Promise<string | null> => {
    const res = await http.get(`${SESSIONS}/${sessionId}`).set('Authorization', user.auth);
    expect(res.status).toBe(200);
    return res.body.title as string | null;
  };
  /** Polls the session until its title is `expected` (the title call runs after the answer is out). */
  const titleBecomes = async (sessionId: string, expected: string): Promise<void> => {
    let title: string | null = null;
    const started = Date.now();
    while (Date.now() - started < 5_000) {
      title = await titleOf(sessionId);
      if (title === expected) return;
      await sleep(25);
    }
    expect(title).toBe(expected);
  };
  /** Waits until the fake has answered `count` title requests, then for the app to act on the last. */
  const titleCallsDone = async (fake: OpenAiFake | GeminiFake, count = 1): Promise<void> => {
    await waitUntil(
      () => fake.titleRequests.length >= count && fake.titleRequests.every((r) => r.closed),
      5_000,
    );
    await sleep(SETTLE_MS);
  };
  const messagesText = (request: RecordedRequest<OpenAiRequestBody> | undefined): string =>
    JSON.stringify(request?.body?.messages ?? []);

  describe('OpenAI', () => {
    it('plain: the model titles the session after its first answer; the title call holds the question and asks for at most 6 words', async () => {
      openai.reply('Lisbon is lovely in spring.').replyTitle('Foodie Weekend in Lisbon');
      const session = await createSession(http, user.auth);

      const turn = await sendMessage(http, user.auth, session.id, QUESTION);

      await titleBecomes(session.id, 'Foodie Weekend in Lisbon');
      expect(turn.assistant_message.content).toBe('Lisbon is lovely in spring.');
      expect(openai.requests).toHaveLength(1); // the turn's call; the title call is apart
      expect(openai.titleRequests).toHaveLength(1);
      const { body } = openai.titleRequests[0];
      expect(body).toMatchObject({ model: 'gpt-4o', max_tokens: expect.any(Number) });
      expect(body?.stream).toBeFalsy();
      const [system, question, answer, ask] = body?.messages ?? [];
      expect(system).toMatchObject({
        role: 'system',
        content: expect.stringMatching(/title of at most 6 words/),
      });
      expect(question).toEqual({ role: 'user', content: QUESTION });
      expect(answer).toEqual({ role: 'assistant', content: 'Lisbon is lovely in spring.' });
      expect(ask).toMatchObject({ role: 'user', content: expect.stringMatching(/at most 6 words/) });
      // the title call is not a message of the session
      const messages = await http.get(messagesUrl(session.id)).set('Authorization', user.auth);
      expect(messages.body.data).toHaveLength(2);
      expect(
        (await http.get(`${SESSIONS}/${session.id}`).set('Authorization', user.auth)).body.message_count,
      ).toBe(2);
    });

    it('the answer does not wait for the title: the question is the title at once, the model title follows', async () => {
      openai.enqueueTitle({ type: 'reply', text: 'Slow Model Title', delayMs: 1_500 });
      const session = await createSession(http, user.auth);

      await sendMessage(http, user.auth, session.id, QUESTION);
      expect(await titleOf(session.id)).toBe(QUESTION_TITLE); // the model's title takes 1.5 s more

      await titleBecomes(session.id, 'Slow Model Title');
    });

    it('streamed: the stream completes without waiting, then the model titles the session', async () => {
      openai.reply('Pastéis de nata, then Alfama.', { chunks: 3 });
      openai.enqueueTitle({ type: 'reply', text: '"Lisbon Food Weekend."', delayMs: 1_000 });
      const session = await createSession(http, user.auth);

      const result = await streamMessage(t.baseUrl, user.auth, session.id, QUESTION);

      expect(eventNames(result).at(-1)).toBe('message.completed');
      expect(dataOf(result.events.at(-1))).toMatchObject({ content: 'Pastéis de nata, then Alfama.' });
      expect(await titleOf(session.id)).toBe(QUESTION_TITLE); // the model's title takes 1 s more
      await titleBecomes(session.id, 'Lisbon Food Weekend'); // quotes and final period cleaned off
      expect(openai.titleRequests).toHaveLength(1);
      expect(messagesText(openai.titleRequests[0])).toContain(QUESTION);
      expect(messagesText(openai.titleRequests[0])).toContain('Pastéis de nata, then Alfama.');
    });

    it('a long or chatty model title is cut to its first line and 6 words', async () => {
      openai.replyTitle('Title: A Very Long Title That Goes On And On\nHere is why I chose it.');
      const session = await createSession(http, user.auth);

      await sendMessage(http, user.auth, session.id, QUESTION);

      await titleBecomes(session.id, 'A Very Long Title That Goes');
    });

    it('a failing title call (HTTP 500) leaves the question as the title, and is logged without the key', async () => {
      openai.setTitleDefault({ type: 'error', status: 500 });
      const session = await createSession(http, user.auth);

      await sendMessage(http, user.auth, session.id, QUESTION);
      await titleCallsDone(openai);

      expect(await titleOf(session.id)).toBe(QUESTION_TITLE);
      await waitUntil(() => t.output().includes('title call failed'), 2_000);
      const line = t
        .output()
        .split('\n')
        .find((l) => l.includes('title call failed') && l.includes(session.id));
      expect(JSON.parse(line ?? '{}')).toMatchObject({
        level: 40,
        session_id: session.id,
        provider: 'openai',
        reason: expect.stringContaining('HTTP 500'),
      });
      expect(t.output()).not.toContain('test-key');
    });

    it('a streamed turn whose title call fails keeps the question as the title', async () => {
      openai.setTitleDefault({ type: 'error', status: 500 });
      const session = await createSession(http, user.auth);

      const result = await streamMessage(t.baseUrl, user.auth, session.id, QUESTION);
      expect(eventNames(result).at(-1)).toBe('message.completed');
      await titleCallsDone(openai);

      expect(await titleOf(session.id)).toBe(QUESTION_TITLE);
    });

    it('a session titled by its user makes no title call and keeps its title', async () => {
      const session = await createSession(http, user.auth, { title: 'Named by me' });

      await sendMessage(http, user.auth, session.id, QUESTION);
      await streamMessage(t.baseUrl, user.auth, session.id, 'And a second question');
      await sleep(SETTLE_MS);

      expect(openai.titleRequests).toHaveLength(0);
      expect(await titleOf(session.id)).toBe('Named by me');
    });

    it('a title set by the user while the title call runs is not replaced', async () => {
      openai.enqueueTitle({ type: 'reply', text: 'Model Title Too Late', delayMs: 800 });
      const session = await createSession(http, user.auth);

      await sendMessage(http, user.auth, session.id, QUESTION);
      const patch = await http
        .patch(`${SESSIONS}/${session.id}`)
        .set('Authorization', user.auth)
        .send({ title: 'Renamed meanwhile' });
      expect(patch.status).toBe(200);
      await titleCallsDone(openai);

      expect(await titleOf(session.id)).toBe('Renamed meanwhile');
    });

    it('the second turn makes no title call', async () => {
      openai.replyTitle('First Turn Title');
      const session = await createSession(http, user.auth);
      await sendMessage(http, user.auth, session.id, QUESTION);
      await titleBecomes(session.id, 'First Turn Title');

      await sendMessage(http, user.auth, session.id, 'Now plan a day trip to Sintra as well');
      await streamMessage(t.baseUrl, user.auth, session.id, 'And one to Cascais');
      await sleep(SETTLE_MS);

      expect(openai.titleRequests).toHaveLength(1);
      expect(openai.requests).toHaveLength(3);
      expect(await titleOf(session.id)).toBe('First Turn Title');
    });

    it('a failed first answer makes no title call; the first complete one does', async () => {
      openai.fail(500).replyTitle('Titled After Success');
      const session = await createSession(http, user.auth);

      const failed = await http
        .post(messagesUrl(session.id))
        .set('Authorization', user.auth)
        .send({ content: QUESTION });
      expect(failed.status).toBe(502);
      await sleep(SETTLE_MS);
      expect(openai.titleRequests).toHaveLength(0);
      expect(await titleOf(session.id)).toBeNull();

      await sendMessage(http, user.auth, session.id, 'Try again please');
      await titleBecomes(session.id, 'Titled After Success');
    });
  });

  describe('Gemini', () => {
    it('titles a Gemini session through Gemini, with a system instruction and an output cap', async () => {
      gemini.replyTitle('Gemini Picked This Title');
      const session = await createSession(http, user.auth, { provider: 'gemini' });

      await sendMessage(http, user.auth, session.id, QUESTION);

      await titleBecomes(session.id, 'Gemini Picked This Title');
      expect(openai.titleRequests).toHaveLength(0);
      expect(gemini.titleRequests).toHaveLength(1);
      const body = gemini.titleRequests[0]?.body;
      expect(JSON.stringify(body?.systemInstruction)).toMatch(/title of at most 6 words/);
      expect(JSON.stringify(body?.contents)).toContain(QUESTION);
      expect(body?.generationConfig).toEqual({ maxOutputTokens: expect.any(Number) });
    });
  });

  describe('Anthropic', () => {
    it('titles an Anthropic session through Anthropic, with a top-level system and the title call’s max_tokens', async () => {
      anthropic.replyTitle('Claude Picked This Title');
      const session = await createSession(http, user.auth, { provider: 'anthropic' });

      await sendMessage(http, user.auth, session.id, QUESTION);

      await titleBecomes(session.id, 'Claude Picked This Title');
      expect(openai.titleRequests).toHaveLength(0);
      expect(anthropic.titleRequests).toHaveLength(1);
      const body = anthropic.titleRequests[0]?.body;
      expect(body?.system).toMatch(/title of at most 6 words/);
      expect(JSON.stringify(body?.messages)).toContain(QUESTION);
      expect(body?.max_tokens).toBe(50); // the title call's cap, not ANTHROPIC_MAX_TOKENS
    });
  });

  describe('echo', () => {
    it("titles with the question's first 6 words; a short question stays the title", async () => {
      const long = await createSession(http, user.auth, { provider: 'echo' });
      await sendMessage(http, user.auth, long.id, QUESTION);
      await titleBecomes(long.id, 'Plan a relaxed weekend in Lisbon');

      const short = await createSession(http, user.auth, { provider: 'echo' });
      await sendMessage(http, user.auth, short.id, 'Hello, echo!');
      await sleep(SETTLE_MS);
      expect(await titleOf(short.id)).toBe('Hello, echo!');
    });
  });
});

describe('session titles with LLM_TITLES=question', () => {
  const openai = new OpenAiFake();
  let t: TestApp;
  let user: ChatUser;

  beforeAll(async () => {
    const { baseUrl } = await openai.start();
    t = await startTestApp({
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: `${baseUrl}/v1`,
      LLM_PROVIDER: 'openai',
      LLM_TITLES: 'question',
    });
    user = await newUser(t.http, 'qtitles');
  });
  afterAll(async () => {
    await t?.close();
    await openai.stop();
  });

  it('makes no title call: the question is the title', async () => {
    const session = await createSession(t.http, user.auth);

    await sendMessage(t.http, user.auth, session.id, QUESTION);
    await sleep(SETTLE_MS);

    expect(openai.titleRequests).toHaveLength(0);
    expect(openai.requests).toHaveLength(1);
    const res = await t.http.get(`${SESSIONS}/${session.id}`).set('Authorization', user.auth);
    expect(res.body.title).toBe(QUESTION_TITLE);
  });
});
