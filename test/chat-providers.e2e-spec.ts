import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { AnthropicFake } from './fakes/anthropic-fake.js';
import { fakeTokens } from './fakes/fake-server.js';
import { GeminiFake, type GeminiContent } from './fakes/gemini-fake.js';
import { OpenAiFake, type OpenAiMessage } from './fakes/openai-fake.js';
import {
  allMessages,
  ChatUser,
  createSession,
  expectProblem,
  messagesUrl,
  newUser,
  sendMessage,
  UUID,
} from './utils/chat-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

const API_KEY = 'test-key';

const geminiText = (content: GeminiContent | undefined): string =>
  (content?.parts ?? []).map((p) => p.text ?? '').join('');

describe('chat with real provider adapters against the OpenAI, Gemini and Anthropic fakes', () => {
  const openai = new OpenAiFake();
  const gemini = new GeminiFake();
  const anthropic = new AnthropicFake();
  const fakes = { OpenAI: openai, Gemini: gemini, Anthropic: anthropic };
  let providerEnv: Record<string, string>;
  let t: TestApp;
  let http: TestAgent;
  let user: ChatUser;
  /** Every error response seen, to check none leaks the API key. */
  const errorBodies: string[] = [];

  beforeAll(async () => {
    const openaiBase = (await openai.start()).baseUrl;
    const geminiBase = (await gemini.start()).baseUrl;
    const anthropicBase = (await anthropic.start()).baseUrl;
    providerEnv = {
      OPENAI_API_KEY: API_KEY,
      OPENAI_BASE_URL: `${openaiBase}/v1`,
      GEMINI_API_KEY: API_KEY,
      GEMINI_BASE_URL: geminiBase,
      ANTHROPIC_API_KEY: API_KEY,
      ANTHROPIC_BASE_URL: anthropicBase,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
      LLM_TIMEOUT_MS: '1500',
      LOGIN_MAX_FAILURES: '1000',
    };
    t = await startTestApp(providerEnv);
    http = t.http;
    user = await newUser(http, 'prov');
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

  const post = async (sessionId: string, content: string): Promise<Response> => {
    const res = await http.post(messagesUrl(sessionId)).set('Authorization', user.auth).send({ content });
    if (res.status >= 400) errorBodies.push(res.text);
    return res;
  };

  describe('OpenAI (the default provider)', () => {
    it('the answer text comes from the fake; provider and model are recorded', async () => {
      openai.reply('Hello from the fake OpenAI.');
      const session = await createSession(http, user.auth);
      const turn = await sendMessage(http, user.auth, session.id, 'Hi there');
      expect(turn.assistant_message).toMatchObject({
        role: 'assistant',
        content: 'Hello from the fake OpenAI.',
        status: 'complete',
        provider: 'openai',
        model: 'gpt-4o',
        error: null,
      });
      expect(openai.requests).toHaveLength(1);
      expect(openai.lastRequest?.path).toBe('/v1/chat/completions');
      expect(openai.lastRequest?.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(openai.lastRequest?.body?.model).toBe('gpt-4o');
      expect(openai.lastRequest?.body?.messages).toEqual([{ role: 'user', content: 'Hi there' }]);
      expect(gemini.requests).toHaveLength(0);
    });

    it('memory: the second request holds system, the first question, the first answer as assistant, then the new question', async () => {
      const session = await createSession(http, user.auth, { system_prompt: 'You are terse.' });
      openai.reply('Hi Ada.').reply('Your name is Ada.');
      await sendMessage(http, user.auth, session.id, 'My name is Ada.');
      expect(openai.requests[0]?.body?.messages).toEqual([
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'My name is Ada.' },
      ]);
      const second = await sendMessage(http, user.auth, session.id, 'What is my name?');
      expect(second.assistant_message.content).toBe('Your name is Ada.');
      expect(openai.requests).toHaveLength(2);
      expect(openai.requests[1]?.body?.messages).toEqual([
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Hi Ada.' },
        { role: 'user', content: 'What is my name?' },
      ]);
    });

    it('the request body is the JSON the SDK would write, escapes and all, on every turn that resends a message', async () => {
      const system = 'Quote "this", a back\\slash, a tab\t, a new\nline.';
      const question = 'Héllo 日本 👋 "quoted" \\ \u2028 \u0007 end';
      const answer = 'Ansẘer with "quotes", \\, 🎉 and a\nnewline';
      const session = await createSession(http, user.auth, { system_prompt: system });
      openai.reply(answer).reply('fine');
      await sendMessage(http, user.auth, session.id, question);
      await sendMessage(http, user.auth, session.id, 'again');
      const expected = JSON.stringify({
        model: 'gpt-4o',
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: question },
          { role: 'assistant', content: answer },
          { role: 'user', content: 'again' },
        ],
      });
      const sent = openai.requests[1];
      expect(sent?.rawBody).toBe(expected);
      expect(sent?.headers['content-type']).toBe('application/json');
      expect(sent?.headers['content-length']).toBe(String(Buffer.byteLength(expected)));
    });

    it('a session without a system prompt sends no system message', async () => {
      const session = await createSession(http, user.auth);
      await sendMessage(http, user.auth, session.id, 'no system here');
      const roles = (openai.lastRequest?.body?.messages ?? []).map((m: OpenAiMessage) => m.role);
      expect(roles).toEqual(['user']);
    });

    it("the session's model reaches the fake in the body's model; the message records it", async () => {
      const session = await createSession(http, user.auth, { model: 'gpt-custom-1' });
      const turn = await sendMessage(http, user.auth, session.id, 'which model?');
      expect(openai.lastRequest?.body?.model).toBe('gpt-custom-1');
      expect(turn.assistant_message.model).toBe('gpt-custom-1');
    });

    it('PATCHing the model changes the model of the next request', async () => {
      const session = await createSession(http, user.auth);
      await sendMessage(http, user.auth, session.id, 'one');
      expect(openai.lastRequest?.body?.model).toBe('gpt-4o');
      const patched = await http
        .patch(`/api/v1/chat-sessions/${session.id}`)
        .set('Authorization', user.auth)
        .send({ model: 'gpt-4o-mini' });
      expect(patched.status).toBe(200);
      await sendMessage(http, user.auth, session.id, 'two');
      expect(openai.lastRequest?.body?.model).toBe('gpt-4o-mini');
    });

    it("the fake's usage lands in the assistant message's usage", async () => {
      const session = await createSession(http, user.auth);
      openai.reply('Counting tokens for you.');
      const turn = await sendMessage(http, user.auth, session.id, 'count my tokens');
      const sent = openai.lastRequest?.body;
      expect(turn.assistant_message.usage).toEqual({
        prompt_tokens: fakeTokens(sent?.messages),
        completion_tokens: fakeTokens('Counting tokens for you.'),
      });
      const stored = await allMessages(http, user.auth, session.id);
      expect(stored[1]?.usage).toEqual(turn.assistant_message.usage);
    });
  });

  describe('Gemini (per-session provider)', () => {
    it('gets systemInstruction and contents with roles user/model; the answer comes from the fake', async () => {
      const session = await createSession(http, user.auth, {
        provider: 'gemini',
        system_prompt: 'You are a helpful gardener.',
      });
      expect(session.provider).toBe('gemini');
      gemini.reply('Plant tomatoes in spring.').reply('Water them daily.');
      const first = await sendMessage(http, user.auth, session.id, 'When do I plant tomatoes?');
      expect(first.assistant_message).toMatchObject({
        content: 'Plant tomatoes in spring.',
        provider: 'gemini',
        status: 'complete',
      });
      await sendMessage(http, user.auth, session.id, 'And how often do I water?');
      expect(openai.requests).toHaveLength(0);
      expect(gemini.requests).toHaveLength(2);
      const body = gemini.lastRequest?.body;
      expect(geminiText(body?.systemInstruction)).toBe('You are a helpful gardener.');
      expect(body?.contents?.map((c) => [c.role, geminiText(c)])).toEqual([
        ['user', 'When do I plant tomatoes?'],
        ['model', 'Plant tomatoes in spring.'],
        ['user', 'And how often do I water?'],
      ]);
      expect(gemini.lastRequest?.headers['x-goog-api-key'] ?? gemini.lastRequest?.path).toContain(API_KEY);
    });

    it('the default model and a per-session model reach the fake in the URL path', async () => {
      const plain = await createSession(http, user.auth, { provider: 'gemini' });
      await sendMessage(http, user.auth, plain.id, 'default model please');
      expect(gemini.lastRequest?.path).toMatch(/^\/v1(beta)?\/models\/gemini-2\.0-flash:generateContent/);

      const custom = await createSession(http, user.auth, { provider: 'gemini', model: 'gemini-custom-7' });
      const turn = await sendMessage(http, user.auth, custom.id, 'custom model please');
      expect(gemini.lastRequest?.path).toMatch(/^\/v1(beta)?\/models\/gemini-custom-7:generateContent/);
      expect(turn.assistant_message.model).toBe('gemini-custom-7');
    });

    it("the fake's usage lands in usage", async () => {
      const session = await createSession(http, user.auth, { provider: 'gemini' });
      gemini.reply('short answer');
      const turn = await sendMessage(http, user.auth, session.id, 'usage please');
      const body = gemini.lastRequest?.body;
      expect(turn.assistant_message.usage).toEqual({
        prompt_tokens: fakeTokens([body?.systemInstruction, body?.contents]),
        completion_tokens: fakeTokens('short answer'),
      });
    });

    it('a Gemini 429 → 503 problem with a failed answer stored', async () => {
      const session = await createSession(http, user.auth, { provider: 'gemini' });
      gemini.fail(429);
      const res = await post(session.id, 'too many');
      expectProblem(res, 503);
      const stored = await allMessages(http, user.auth, session.id);
      expect(stored.map((m) => [m.role, m.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'failed'],
      ]);
    });
  });

  describe('Anthropic (per-session provider)', () => {
    it('gets the system prompt top-level, the turns as they are and max_tokens; the answer comes from the fake', async () => {
      const session = await createSession(http, user.auth, {
        provider: 'anthropic',
        system_prompt: 'You are a helpful gardener.',
      });
      expect(session.provider).toBe('anthropic');
      anthropic.reply('Plant tomatoes in spring.').reply('Water them daily.');
      const first = await sendMessage(http, user.auth, session.id, 'When do I plant tomatoes?');
      expect(first.assistant_message).toMatchObject({
        content: 'Plant tomatoes in spring.',
        provider: 'anthropic',
        model: 'claude-sonnet-4-6',
        status: 'complete',
      });
      await sendMessage(http, user.auth, session.id, 'And how often do I water?');
      expect(openai.requests).toHaveLength(0);
      expect(anthropic.requests).toHaveLength(2);
      const sent = anthropic.lastRequest;
      expect(sent?.path).toBe('/v1/messages');
      expect(sent?.headers.authorization).toBe(`Bearer ${API_KEY}`);
      // No temperature, top_p or top_k: exactly these fields.
      expect(sent?.body).toEqual({
        model: 'claude-sonnet-4-6',
        max_tokens: 8192,
        system: 'You are a helpful gardener.',
        messages: [
          { role: 'user', content: 'When do I plant tomatoes?' },
          { role: 'assistant', content: 'Plant tomatoes in spring.' },
          { role: 'user', content: 'And how often do I water?' },
        ],
      });
    });

    it("a per-session model reaches the fake in the body, and the fake's usage lands in usage", async () => {
      const session = await createSession(http, user.auth, {
        provider: 'anthropic',
        model: 'claude-haiku-4-5',
      });
      anthropic.reply('short answer');
      const turn = await sendMessage(http, user.auth, session.id, 'usage please');
      const body = anthropic.lastRequest?.body;
      expect(body?.model).toBe('claude-haiku-4-5');
      expect(turn.assistant_message.model).toBe('claude-haiku-4-5');
      expect(turn.assistant_message.usage).toEqual({
        prompt_tokens: fakeTokens([body?.system, body?.messages]),
        completion_tokens: fakeTokens('short answer'),
      });
    });

    it('an Anthropic that does not answer → 504 within the timeout, a failed answer stored without the key', async () => {
      const session = await createSession(http, user.auth, { provider: 'anthropic' });
      anthropic.hang();
      const started = Date.now();
      const res = await post(session.id, 'are you there?');
      expectProblem(res, 504);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(res.body.detail).toBe('Anthropic did not answer within 1500 ms');
      const stored = await allMessages(http, user.auth, session.id);
      expect(stored.map((m) => [m.role, m.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'failed'],
      ]);
      expect(stored[1]).toMatchObject({ provider: 'anthropic', error: res.body.detail });
    });

    it('a model name with a / or not starting with a letter or digit is a 400 naming `model` for anthropic (create, patch, regenerate)', async () => {
      for (const model of ['anthropic/claude-sonnet-4-6', '-claude']) {
        const created = await http
          .post('/api/v1/chat-sessions')
          .set('Authorization', user.auth)
          .send({ provider: 'anthropic', model });
        expectProblem(created, 400);
        expect(created.body.errors).toEqual([
          { field: 'model', message: expect.stringMatching(/Anthropic model name/) },
        ]);
      }
      const session = await createSession(http, user.auth, { model: 'some/model' });
      const patched = await http
        .patch(`/api/v1/chat-sessions/${session.id}`)
        .set('Authorization', user.auth)
        .send({ provider: 'anthropic' });
      expectProblem(patched, 400);
      expect(patched.body.errors).toEqual([
        { field: 'model', message: expect.stringMatching(/Anthropic model name/) },
      ]);
      const turn = await sendMessage(http, user.auth, session.id, 'answered by openai');
      const regenerated = await http
        .post(`${messagesUrl(session.id)}/${turn.assistant_message.id}/regenerate`)
        .set('Authorization', user.auth)
        .send({ provider: 'anthropic', model: 'a/b' });
      expectProblem(regenerated, 400);
      expect(anthropic.requests).toHaveLength(0);
    });
  });

  describe('provider failures', () => {
    it.each([
      ['500', 502, () => openai.fail(500)],
      ['502', 502, () => openai.fail(502)],
      ['429', 503, () => openai.fail(429)],
      ['a cut connection', 502, () => openai.failMidStream(0)],
      ['no answer (timeout)', 504, () => openai.hang()],
    ])(
      'fake %s → %i problem; the question and a failed answer are stored; the failed turn is left out of the next context',
      async (_label, status, arrange) => {
        const session = await createSession(http, user.auth, { system_prompt: 'Be kind.' });
        openai.reply('First answer.');
        await sendMessage(http, user.auth, session.id, 'First question');

        arrange();
        const started = Date.now();
        const res = await post(session.id, 'Doomed question');
        expectProblem(res, status);
        if (status === 504) expect(Date.now() - started).toBeLessThan(10_000);
        expect(res.text).not.toContain(API_KEY);
        expect(res.text).not.toMatch(/at [^\n"]*\.js:\d+/);

        const stored = await allMessages(http, user.auth, session.id);
        expect(stored.map((m) => [m.role, m.status])).toEqual([
          ['user', 'complete'],
          ['assistant', 'complete'],
          ['user', 'complete'],
          ['assistant', 'failed'],
        ]);
        const failed = stored[3];
        expect(failed.role).toBe('assistant');
        expect(typeof failed.error).toBe('string');
        expect((failed.error ?? '').length).toBeGreaterThan(0);
        expect(failed.error).not.toContain(API_KEY);
        expect(failed.provider).toBe('openai');
        expect(stored[2]?.content).toBe('Doomed question');

        openai.reply('Recovered.');
        const next = await sendMessage(http, user.auth, session.id, 'Next question');
        expect(next.assistant_message.content).toBe('Recovered.');
        expect(openai.lastRequest?.body?.messages).toEqual([
          { role: 'system', content: 'Be kind.' },
          { role: 'user', content: 'First question' },
          { role: 'assistant', content: 'First answer.' },
          { role: 'user', content: 'Next question' },
        ]);
        const session2 = await http
          .get(`/api/v1/chat-sessions/${session.id}`)
          .set('Authorization', user.auth);
        expect(session2.body.message_count).toBe(6);
      },
    );

    it.each([
      ['OpenAI', 429, 503, 'OpenAI rate limit reached (HTTP 429)'],
      ['OpenAI', 500, 502, 'OpenAI request failed (HTTP 500)'],
      ['Gemini', 429, 503, 'Gemini rate limit reached (HTTP 429)'],
      ['Gemini', 500, 502, 'Gemini request failed (HTTP 500)'],
      ['Anthropic', 429, 503, 'Anthropic rate limit reached (HTTP 429)'],
      ['Anthropic', 529, 503, 'Anthropic is overloaded (HTTP 529)'],
      ['Anthropic', 500, 502, 'Anthropic request failed (HTTP 500)'],
    ])(
      'a plain POST whose %s fake answers %i → %i problem whose detail says why, as the stored answer does',
      async (name, upstream, status, reason) => {
        const session = await createSession(http, user.auth, { provider: name.toLowerCase() });
        fakes[name as keyof typeof fakes].fail(upstream);
        const res = await post(session.id, 'why did it fail?');
        expectProblem(res, status);
        expect(res.body.detail).toMatch(new RegExp(`^${reason.replace(/[()]/g, '\\$&')}`));
        const stored = await allMessages(http, user.auth, session.id);
        expect(stored.at(-1)?.error).toBe(res.body.detail);
      },
    );

    it('a session deleted while its answer is being generated → a 4xx problem (not 500), and the session stays gone', async () => {
      const session = await createSession(http, user.auth);
      openai.reply('Too late.', { delayMs: 700 });
      const pending = post(session.id, 'slow question');
      await new Promise((resolve) => setTimeout(resolve, 250));
      const del = await http.delete(`/api/v1/chat-sessions/${session.id}`).set('Authorization', user.auth);
      expect(del.status).toBe(204);
      const res = await pending;
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.text).not.toMatch(/violates|foreign key|constraint|SELECT|INSERT/i);
      const gone = await http.get(`/api/v1/chat-sessions/${session.id}`).set('Authorization', user.auth);
      expect(gone.status).toBe(404);
    });

    it('PATCH provider to gemini sends the next message to Gemini; provider null goes back to the default', async () => {
      const session = await createSession(http, user.auth);
      const toGemini = await http
        .patch(`/api/v1/chat-sessions/${session.id}`)
        .set('Authorization', user.auth)
        .send({ provider: 'gemini' });
      expect(toGemini.body.provider).toBe('gemini');
      await sendMessage(http, user.auth, session.id, 'to gemini');
      expect(gemini.requests).toHaveLength(1);
      expect(openai.requests).toHaveLength(0);
      const back = await http
        .patch(`/api/v1/chat-sessions/${session.id}`)
        .set('Authorization', user.auth)
        .send({ provider: null });
      expect(back.body.provider).toBeNull();
      const turn = await sendMessage(http, user.auth, session.id, 'to openai');
      expect(turn.assistant_message.provider).toBe('openai');
      expect(openai.requests).toHaveLength(1);
      // the Gemini turn is part of the memory sent to OpenAI
      expect(openai.lastRequest?.body?.messages?.map((m: OpenAiMessage) => m.role)).toEqual([
        'user',
        'assistant',
        'user',
      ]);
    });

    it('a failure on the very first message leaves the session untitled; a later success names it', async () => {
      const session = await createSession(http, user.auth);
      openai.fail(500);
      expectProblem(await post(session.id, 'this one fails'), 502);
      const after = await http.get(`/api/v1/chat-sessions/${session.id}`).set('Authorization', user.auth);
      expect(after.body.title).toBeNull();
      expect(after.body.message_count).toBe(2);
      await sendMessage(http, user.auth, session.id, 'this one works');
      const later = await http.get(`/api/v1/chat-sessions/${session.id}`).set('Authorization', user.auth);
      expect(later.body.title).toBe('this one works');
    });

    it('an upstream error that quotes the API key does not leak it', async () => {
      const session = await createSession(http, user.auth);
      openai.fail(401, { message: `Incorrect API key provided: ${API_KEY}. You can find your key at ...` });
      const res = await post(session.id, 'leak test');
      expectProblem(res, 502);
      expect(res.text).not.toContain(API_KEY);
      const stored = await allMessages(http, user.auth, session.id);
      expect(JSON.stringify(stored)).not.toContain(API_KEY);
    });

    it('quick-chat: a provider failure → 502 {"error": ...}; the transcript leaves the failed answer out', async () => {
      openai.reply('Quick first.');
      const first = await http
        .post('/api/v1/chat/')
        .set('Authorization', user.auth)
        .send({ message: 'quick one' });
      expect(first.body).toEqual({ session_id: expect.any(String), message: 'Quick first.' });
      openai.fail(500);
      const failed = await http
        .post('/api/v1/chat/')
        .set('Authorization', user.auth)
        .send({ session_id: first.body.session_id, message: 'quick two' });
      errorBodies.push(failed.text);
      expect(failed.status).toBe(502);
      expect(failed.headers['content-type']).toMatch(/^application\/json/);
      expect(typeof failed.body.error).toBe('string');
      const transcript = await http
        .get(`/api/v1/chat/chats/${first.body.session_id}/`)
        .set('Authorization', user.auth);
      expect(transcript.status).toBe(200);
      const roles = transcript.body.messages.map((m: { role: string; content: string }) => [
        m.role,
        m.content,
      ]);
      expect(roles).toEqual([
        ['user', 'quick one'],
        ['assistant', 'Quick first.'],
        ['user', 'quick two'],
      ]);
    });

    it('quick-chat: a failed first message → 502 {error, session_id}: the new session it is stored in', async () => {
      const quick = await newUser(http, 'provq');
      openai.fail(500);
      const failed = await http
        .post('/api/v1/chat/')
        .set('Authorization', quick.auth)
        .send({ message: 'first fails' });
      errorBodies.push(failed.text);
      expect(failed.status).toBe(502);
      expect(failed.headers['content-type']).toMatch(/^application\/json/);
      expect(failed.body).toEqual({ error: expect.any(String), session_id: expect.stringMatching(UUID) });
      const sessionId = failed.body.session_id as string;
      // the client can find the session it was told of, and go on in it
      const history = await http.get('/api/v1/chat/chats-history/').set('Authorization', quick.auth);
      expect(history.body.map((h: { session_id: string }) => h.session_id)).toEqual([sessionId]);
      openai.reply('Second time lucky.');
      const retried = await http
        .post('/api/v1/chat/')
        .set('Authorization', quick.auth)
        .send({ session_id: sessionId, message: 'try again' });
      expect(retried.body).toEqual({ session_id: sessionId, message: 'Second time lucky.' });
    });

    it('sessions seed: a provider failure → 502 {"error": ...}; timeout → 504', async () => {
      const created = await http.post('/chatsessions/').set('Authorization', user.auth).send({});
      expect(created.status).toBe(201);
      openai.fail(500);
      const failed = await http
        .post(`/chatsessions/${created.body.id}/messages/`)
        .set('Authorization', user.auth)
        .send({ prompt: 'fails' });
      errorBodies.push(failed.text);
      expect(failed.status).toBe(502);
      expect(typeof failed.body.error).toBe('string');
      openai.hang();
      const timedOut = await http
        .post(`/chatsessions/${created.body.id}/messages/`)
        .set('Authorization', user.auth)
        .send({ prompt: 'hangs' });
      errorBodies.push(timedOut.text);
      expect(timedOut.status).toBe(504);
      expect(typeof timedOut.body.error).toBe('string');
    });

    it('no error body seen in this suite contains the API key', () => {
      expect(errorBodies.length).toBeGreaterThan(0);
      for (const body of errorBodies) expect(body).not.toContain(API_KEY);
    });
  });

  describe('context trimming (LLM_CONTEXT_TOKENS=300)', () => {
    let small: TestApp;
    let smallUser: ChatUser;

    beforeAll(async () => {
      small = await startTestApp({ ...providerEnv, LLM_CONTEXT_TOKENS: '300' });
      smallUser = await newUser(small.http, 'trim');
    });
    afterAll(async () => {
      await small?.close();
    });

    it('keeps the newest turns that fit, drops the oldest, and always ends with the new question', async () => {
      const session = await createSession(small.http, smallUser.auth, { system_prompt: 'Be brief.' });
      const question = (i: number) =>
        `Question ${String(i).padStart(2, '0')}: ${'lorem ipsum dolor '.repeat(11)}`;
      const turns = 30;
      for (let i = 0; i < turns; i += 1) {
        openai.reply(`Answer ${String(i).padStart(2, '0')}: ${'sit amet '.repeat(5)}`);
        await sendMessage(small.http, smallUser.auth, session.id, question(i));
      }
      expect(question(0).length).toBeGreaterThanOrEqual(190);
      expect(openai.requests).toHaveLength(turns);

      const last = openai.lastRequest?.body?.messages ?? [];
      const history = turns * 2 - 1; // every earlier message plus the new question
      expect(last.length).toBeLessThan(history);
      expect(last[0]).toEqual({ role: 'system', content: 'Be brief.' });
      expect(last.at(-1)).toEqual({ role: 'user', content: question(turns - 1) });
      const contents = last.map((m) => m.content);
      expect(contents).toContain(question(turns - 2));
      expect(contents).not.toContain(question(0));
      // what is kept is a contiguous run of the newest turns, in order, alternating user/assistant
      const kept = last.slice(1, -1);
      expect(kept.length % 2).toBe(0);
      expect(kept.length).toBeGreaterThan(0);
      const firstKept = turns - 1 - kept.length / 2;
      kept.forEach((m, i) => {
        const turn = firstKept + Math.floor(i / 2);
        expect(m.role).toBe(i % 2 === 0 ? 'user' : 'assistant');
        if (i % 2 === 0) expect(m.content).toBe(question(turn));
      });
      // and it fits the budget (about 4 characters a token)
      const chars = last.reduce(
        (sum, m) =>
          sum + (typeof m.content === 'string' ? m.content.length : JSON.stringify(m.content).length),
        0,
      );
      expect(chars).toBeLessThanOrEqual(300 * 4);
    });

    it('a single question larger than the budget is still sent, alone with the system prompt', async () => {
      const session = await createSession(small.http, smallUser.auth, { system_prompt: 'Be brief.' });
      await sendMessage(small.http, smallUser.auth, session.id, 'small first question');
      const huge = `huge ${'x'.repeat(5_000)}`;
      await sendMessage(small.http, smallUser.auth, session.id, huge);
      expect(openai.lastRequest?.body?.messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: huge },
      ]);
    });
  });
});
