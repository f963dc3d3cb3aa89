import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI, { APIError, RateLimitError } from 'openai';
import type { ChatCompletionChunk, CompletionUsage } from 'openai/resources';
import { AnthropicFake } from './fakes/anthropic-fake.js';
import { splitText } from './fakes/fake-server.js';
import { GeminiFake } from './fakes/gemini-fake.js';
import { OpenAiFake } from './fakes/openai-fake.js';
import { newUser, quickChatToken, SESSIONS, type ChatUser } from './utils/chat-helpers.js';
import { requestSse } from './utils/sse-client.js';
import { startTestApp, type TestApp } from './utils/test-app.js';

const PROVIDER_KEY = 'test-key';
const DAILY_BUDGET = 3000;
/** The edge-case app's per-minute turn limit and provider deadline. */
const RATE_LIMIT = 2;
const TIMEOUT_MS = 800;
const DEADLINE_PROVIDERS = [
  { name: 'openai', model: 'openai/gpt-4o' },
  { name: 'gemini', model: 'gemini/gemini-2.0-flash' },
  { name: 'anthropic', model: 'anthropic/claude-sonnet-4-6' },
] as const;

interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/**
 * The OpenAI-compatible gateway, with the official `openai` SDK as its client, in front of each provider
 * (OpenAI, Gemini and Anthropic wire fakes, and echo): models, completions plain and streamed, API keys
 * only, usage and budgets, `store`, and OpenAI-shaped errors.
 */
describe('OpenAI-compatible gateway (/v1)', () => {
  const openai = new OpenAiFake();
  const gemini = new GeminiFake();
  const anthropic = new AnthropicFake();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      OPENAI_API_KEY: PROVIDER_KEY,
      OPENAI_BASE_URL: `${(await openai.start()).baseUrl}/v1`,
      GEMINI_API_KEY: PROVIDER_KEY,
      GEMINI_BASE_URL: (await gemini.start()).baseUrl,
      ANTHROPIC_API_KEY: PROVIDER_KEY,
      ANTHROPIC_BASE_URL: (await anthropic.start()).baseUrl,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
      LLM_TIMEOUT_MS: '2000',
      LLM_TITLES: 'question',
      LOGIN_MAX_FAILURES: '1000',
      QUOTA_DAILY_TOKENS: String(DAILY_BUDGET),
      GATEWAY_MODELS: 'openai/gpt-4o-mini, gemini/gemini-2.5-pro',
    });
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

  /** A new user and an API key of theirs (on `app`, the suite's app by default). */
  async function keyHolder(
    prefix: string,
    app: TestApp = t,
  ): Promise<{ user: ChatUser; key: string; keyId: string }> {
    const user = await newUser(app.http, prefix);
    const res = await app.http.post('/api/v1/api-keys').set('Authorization', user.auth).send({ name: 'sdk' });
    expect(res.status).toBe(201);
    return { user, key: res.body.key as string, keyId: res.body.id as string };
  }

  const client = (apiKey: string, app: TestApp = t): OpenAI =>
    new OpenAI({ apiKey, baseURL: `${app.baseUrl}/v1`, maxRetries: 0 });

  /** The error the SDK raised, with the body the gateway sent. */
  async function sdkError(call: Promise<unknown>): Promise<APIError & { error: OpenAiErrorBody['error'] }> {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(APIError);
    return error as APIError & { error: OpenAiErrorBody['error'] };
  }

  function expectOpenAiError(body: unknown, type: string, param: string | null): void {
    const { error } = body as OpenAiErrorBody;
    expect(Object.keys(body as object)).toEqual(['error']);
    expect(error).toMatchObject({ type, param });
    expect(typeof error.message).toBe('string');
    expect(error.message).not.toContain(PROVIDER_KEY);
  }

  /** The caller's usage rows, one per provider and model. */
  const usageRows = async (user: ChatUser): Promise<unknown> => {
    const report = await t.http.get('/api/v1/me/usage?group=model').set('Authorization', user.auth);
    expect(report.status).toBe(200);
    return report.body.data;
  };
  /** A session's messages as [role, content] pairs. */
  const storedMessages = async (user: ChatUser, sessionId: string): Promise<string[][]> => {
    const res = await t.http.get(`${SESSIONS}/${sessionId}/messages`).set('Authorization', user.auth);
    expect(res.status).toBe(200);
    return (res.body.data as { role: string; content: string }[]).map((m) => [m.role, m.content]);
  };
  const hi = [{ role: 'user' as const, content: 'hi' }];

  it('GET /v1/models lists each configured default and GATEWAY_MODELS as provider/model', async () => {
    const { key } = await keyHolder('gw_models');
    const page = await client(key).models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual([
      'openai/gpt-4o',
      'gemini/gemini-2.0-flash',
      'anthropic/claude-sonnet-4-6',
      'echo/echo',
      'openai/gpt-4o-mini',
      'gemini/gemini-2.5-pro',
    ]);
    for (const model of page.data)
      expect(model).toEqual({
        id: model.id,
        object: 'model',
        created: expect.any(Number),
        owned_by: model.id.split('/')[0],
      });
  });

  const PROVIDERS = [
    { name: 'openai', model: 'openai/gpt-4o', fake: openai },
    { name: 'gemini', model: 'gemini/gemini-2.0-flash', fake: gemini },
    { name: 'anthropic', model: 'anthropic/claude-sonnet-4-6', fake: anthropic },
    { name: 'echo', model: 'echo/echo', fake: null },
  ] as const;

  describe.each(PROVIDERS)('behind it: $name', ({ name, model, fake }) => {
    const messages = [
      { role: 'system' as const, content: 'Answer briefly.' },
      { role: 'user' as const, content: 'What is the capital of France?' },
      { role: 'assistant' as const, content: 'Paris.' },
      { role: 'user' as const, content: [{ type: 'text' as const, text: 'And of Italy?' }] },
    ];
    /**
     * The provider's streaming caller, shared by the tests below in their order: streamed (their first
     * answer), stored (their second), then the budget (which uses up their day).
     */
    let streamer: { user: ChatUser; key: string };
    /** The usage report of a caller with one answer of this provider, of these tokens. */
    const answeredOnce = ({ prompt_tokens, completion_tokens }: CompletionUsage) => [
      expect.objectContaining({ provider: name, prompt_tokens, completion_tokens, answers: 1, failures: 0 }),
    ];
    beforeAll(async () => {
      streamer = await keyHolder(`gw_${name}_s`);
    });

    it('a plain completion in OpenAI shape, its generation parameters passed on, counted in usage', async () => {
      const { user, key } = await keyHolder(`gw_${name}`);
      fake?.reply(`Rome, says ${name}.`);
      const completion = await client(key).chat.completions.create({
        model,
        messages,
        temperature: 0.3,
        top_p: 0.9,
        max_tokens: 50,
        stop: ['END'],
      });
      expect(completion).toMatchObject({
        id: expect.stringMatching(/^chatcmpl-\w+$/),
        object: 'chat.completion',
        created: expect.any(Number),
        model,
        choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' }],
      });
      const text = completion.choices[0].message.content ?? '';
      if (fake) expect(text).toBe(`Rome, says ${name}.`);
      else expect(text).toMatch(/^Echo provider/);
      const usage = completion.usage!;
      expect(usage.prompt_tokens).toBeGreaterThan(0);
      expect(usage.completion_tokens).toBeGreaterThan(0);
      expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);

      const sent = fake?.lastRequest?.body;
      if (name === 'openai')
        expect(sent).toMatchObject({
          model: 'gpt-4o',
          messages: [
            { role: 'system', content: 'Answer briefly.' },
            { role: 'user', content: 'What is the capital of France?' },
            { role: 'assistant', content: 'Paris.' },
            { role: 'user', content: 'And of Italy?' },
          ],
          temperature: 0.3,
          top_p: 0.9,
          max_tokens: 50,
          stop: ['END'],
        });
      if (name === 'gemini')
        expect(sent?.generationConfig).toEqual({
          temperature: 0.3,
          topP: 0.9,
          maxOutputTokens: 50,
          stopSequences: ['END'],
        });
      if (name === 'anthropic') {
        expect(sent).toMatchObject({ system: 'Answer briefly.', max_tokens: 50, stop_sequences: ['END'] });
        expect(sent).not.toHaveProperty('temperature'); // ignored for Anthropic, as documented
        expect(sent).not.toHaveProperty('top_p');
      }

      expect(await usageRows(user)).toEqual(answeredOnce(usage));
    });

    it('a streamed completion: role chunk, deltas, finish_reason, usage chunk, [DONE]; counted in usage', async () => {
      const { user, key } = streamer;
      fake?.reply(`Streamed Rome from ${name}.`, { chunks: 3 });
      const stream = await client(key).chat.completions.create({
        model,
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      for (const chunk of chunks)
        expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model, id: chunks[0].id });
      const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
      if (fake) expect(text).toBe(`Streamed Rome from ${name}.`);
      else expect(text).toMatch(/^Echo provider/);
      expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(1);
      const last = chunks.at(-1)!;
      expect(last.choices).toEqual([]);
      expect(last.usage?.total_tokens).toBeGreaterThan(0);
      expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');

      expect(await usageRows(user)).toEqual(answeredOnce(last.usage!));
    });

    it('a streamed completion with store: true is a session of the caller, with its messages, in the history', async () => {
      const { user, key } = streamer;
      fake?.reply(`Stored Rome from ${name}.`, { chunks: 3 });
      const stream = await client(key).chat.completions.create({
        model,
        messages,
        stream: true,
        store: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      if (fake) expect(text).toBe(`Stored Rome from ${name}.`);
      else expect(text).toMatch(/^Echo provider/);

      const list = await t.http.get(SESSIONS).set('Authorization', user.auth);
      expect(list.status).toBe(200);
      expect(list.body.data).toEqual([
        expect.objectContaining({
          title: 'What is the capital of France?',
          system_prompt: 'Answer briefly.',
          provider: name,
          model: model.split('/')[1],
          message_count: 4,
        }),
      ]);
      expect(await storedMessages(user, list.body.data[0].id as string)).toEqual([
        ['user', 'What is the capital of France?'],
        ['assistant', 'Paris.'],
        ['user', 'And of Italy?'],
        ['assistant', text],
      ]);
      expect(await usageRows(user)).toEqual([
        expect.objectContaining({ provider: name, answers: 2, failures: 0 }),
      ]);
    });

    it('a used-up budget refuses the next call, plain and streamed, with 429 insufficient_quota, before the provider', async () => {
      const { user, key } = streamer;
      // a prompt of about 1.25 tokens per budgeted token (four characters a token) uses the day up at once
      await client(key).chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'word '.repeat(DAILY_BUDGET) }],
      });
      const counted = await usageRows(user);
      const calls = fake?.requests.length;
      const plain = await sdkError(client(key).chat.completions.create({ model, messages: hi }));
      const streamed = await sdkError(
        client(key).chat.completions.create({ model, messages: hi, stream: true }),
      );
      for (const refused of [plain, streamed]) {
        expect(refused).toBeInstanceOf(RateLimitError);
        expect(refused.error).toEqual({
          message: expect.stringContaining('The daily token budget is used up'),
          type: 'rate_limit_error',
          param: null,
          code: 'insufficient_quota',
        });
        expect(Number(refused.headers?.get('retry-after'))).toBeGreaterThan(0);
      }
      expect(fake?.requests.length).toBe(calls);
      expect(await usageRows(user)).toEqual(counted);
    });
  });

  it('the raw stream ends with data: [DONE]; without include_usage there is no usage chunk', async () => {
    const { key } = await keyHolder('gw_raw');
    const res = await t.http
      .post('/v1/chat/completions')
      .set('Authorization', `Bearer ${key}`)
      .send({ model: 'echo/echo', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = res.text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    for (const event of events.slice(0, -1))
      expect(JSON.parse(event.slice('data: '.length))).not.toHaveProperty('usage');
  });

  it('a bare model name is a listed model, else a model of the default provider', async () => {
    const { key } = await keyHolder('gw_bare');
    openai.reply('bare');
    const listed = await client(key).chat.completions.create({
      model: 'gemini-2.5-pro',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(listed.model).toBe('gemini/gemini-2.5-pro');
    expect(gemini.lastRequest?.path).toContain('gemini-2.5-pro');
    const other = await client(key).chat.completions.create({
      model: 'gpt-custom',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(other.model).toBe('openai/gpt-custom');
    expect(openai.lastRequest?.body).toMatchObject({ model: 'gpt-custom' });
  });

  describe('authentication: API keys only', () => {
    it('a JWT, a personal token, no key or a revoked key is a 401 in OpenAI shape', async () => {
      const { user, key, keyId } = await keyHolder('gw_auth');
      const ask = (apiKey: string) =>
        client(apiKey).chat.completions.create({
          model: 'echo/echo',
          messages: [{ role: 'user', content: 'hi' }],
        });
      await expect(ask(key)).resolves.toMatchObject({ object: 'chat.completion' });

      const jwt = await sdkError(ask(user.access));
      expect(jwt.status).toBe(401);
      expect(jwt.error).toMatchObject({
        type: 'invalid_request_error',
        code: 'invalid_api_key',
        param: null,
      });
      const token = await sdkError(ask(await quickChatToken(t.http, user.username)));
      expect(token.status).toBe(401);
      const none = await t.http.get('/v1/models');
      expect(none.status).toBe(401);
      expectOpenAiError(none.body, 'invalid_request_error', null);

      // the key is refused on the native API
      const native = await t.http.get(SESSIONS).set('Authorization', `Bearer ${key}`);
      expect(native.status).toBe(401);

      const revoked = await t.http.delete(`/api/v1/api-keys/${keyId}`).set('Authorization', user.auth);
      expect(revoked.status).toBe(204);
      const after = await sdkError(ask(key));
      expect(after.status).toBe(401);
      expect(after.error.code).toBe('invalid_api_key');
    });
  });

  describe('bad bodies: OpenAI-shaped 400s naming the field', () => {
    let key: string;
    beforeAll(async () => {
      key = (await keyHolder('gw_bad')).key;
    });
    const user = (content: unknown) => ({ role: 'user', content });
    const cases: [string, Record<string, unknown>, string | null][] = [
      ['tools', { tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools'],
      ['tool_choice', { tool_choice: 'auto' }, 'tool_choice'],
      ['n above 1', { n: 2 }, 'n'],
      ['response_format json', { response_format: { type: 'json_object' } }, 'response_format'],
      ['logprobs', { logprobs: true }, 'logprobs'],
      ['an unknown field', { frobnicate: 1 }, 'frobnicate'],
      ['temperature out of range', { temperature: 3 }, 'temperature'],
      ['top_p out of range', { top_p: -1 }, 'top_p'],
      ['max_tokens not an integer', { max_tokens: 1.5 }, 'max_tokens'],
      ['stop of five', { stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
      ['stream not a boolean', { stream: 'yes' }, 'stream'],
      ['no messages', { messages: [] }, 'messages'],
      [
        'an image part',
        { messages: [user([{ type: 'image_url', image_url: { url: 'x' } }])] },
        'messages[0].content',
      ],
      ['a tool message', { messages: [{ role: 'tool', content: 'x' }, user('hi')] }, 'messages[0].role'],
      [
        'an assistant message last',
        { messages: [user('hi'), { role: 'assistant', content: 'x' }] },
        'messages',
      ],
      ['no model', { model: undefined }, 'model'],
    ];
    it.each(cases)('%s', async (_label, change, param) => {
      const body = { model: 'echo/echo', messages: [user('hi')], ...change };
      const res = await t.http.post('/v1/chat/completions').set('Authorization', `Bearer ${key}`).send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expectOpenAiError(res.body, 'invalid_request_error', param);
      if (param) expect((res.body as OpenAiErrorBody).error.message).toContain(param.split('[')[0]);
    });

    it('the SDK raises BadRequestError with param; invalid JSON is a 400 and a form a 415, in OpenAI shape', async () => {
      const error = await sdkError(
        client(key).chat.completions.create({
          model: 'echo/echo',
          messages: [{ role: 'user', content: 'hi' }],
          tools: [{ type: 'function', function: { name: 'f' } }],
        }),
      );
      expect(error.status).toBe(400);
      expect(error.param).toBe('tools');
      const broken = await t.http
        .post('/v1/chat/completions')
        .set('Authorization', `Bearer ${key}`)
        .set('Content-Type', 'application/json')
        .send('{"model":');
      expect(broken.status).toBe(400);
      expectOpenAiError(broken.body, 'invalid_request_error', null);
      const form = await t.http
        .post('/v1/chat/completions')
        .set('Authorization', `Bearer ${key}`)
        .type('form')
        .send({ model: 'echo/echo' });
      expect(form.status).toBe(415);
      expectOpenAiError(form.body, 'invalid_request_error', null);
    });

    it('an unknown model is a 404 model_not_found', async () => {
      for (const model of ['mistral/large', 'openai/bad model', 'gemini/x/../y']) {
        const error = await sdkError(
          client(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }),
        );
        expect(error.status).toBe(404);
        expect(error.error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found' });
      }
    });
  });

  const FAILURES = [
    { name: 'openai', model: 'openai/gpt-4o', fake: openai, upstream: 500, status: 502, says: 'OpenAI' },
    {
      name: 'anthropic',
      model: 'anthropic/claude-sonnet-4-6',
      fake: anthropic,
      upstream: 529,
      status: 503,
      says: 'Anthropic is overloaded (HTTP 529)',
    },
  ] as const;
  it.each(FAILURES)(
    '$name answering $upstream: a $status in OpenAI shape, plain and streamed before the first chunk, not retried, counted as failures',
    async ({ name, model, fake, upstream, status, says }) => {
      const { user, key } = await keyHolder(`gw_fail_${name}`);
      const calls = [
        () => client(key).chat.completions.create({ model, messages: hi }),
        // the stream is refused before it opens: the SDK's create() itself raises the HTTP error
        () => client(key).chat.completions.create({ model, messages: hi, stream: true }),
      ];
      for (const call of calls) {
        fake.fail(upstream);
        const sent = fake.requests.length;
        const error = await sdkError(call());
        expect(error.status).toBe(status);
        expect(error.error).toEqual({
          message: expect.stringContaining(says),
          type: 'api_error',
          param: null,
          code: null,
        });
        expect(error.message).not.toContain(PROVIDER_KEY);
        expect(fake.requests.length).toBe(sent + 1); // the app's provider SDK did not retry (LLM_MAX_RETRIES=0)
      }
      expect(await usageRows(user)).toEqual([
        expect.objectContaining({ provider: name, answers: 2, failures: 2 }),
      ]);
    },
  );

  it('a provider failing mid-stream ends the stream with an error event the SDK raises, counted as a failure', async () => {
    const { user, key } = await keyHolder('gw_midstream');
    anthropic.failMidStream(2, { text: 'one two three four five six' });
    const stream = await client(key).chat.completions.create({
      model: 'anthropic/claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(APIError);
    expect(text.length).toBeGreaterThan(0);
    expect(String((error as Error).message)).not.toContain(PROVIDER_KEY);
    const report = await t.http.get('/api/v1/me/usage?group=model').set('Authorization', user.auth);
    expect(report.body.data).toEqual([expect.objectContaining({ provider: 'anthropic', failures: 1 })]);
  });

  it('store: true saves the exchange as a session of the caller: history, messages, system prompt', async () => {
    const { user, key } = await keyHolder('gw_store');
    anthropic.reply('Rome it is.');
    await client(key).chat.completions.create({
      model: 'anthropic/claude-sonnet-4-6',
      store: true,
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Capital of France?' },
        { role: 'assistant', content: 'Paris.' },
        { role: 'user', content: 'And Italy?' },
      ],
    });
    openai.reply('Not stored.');
    await client(key).chat.completions.create({
      model: 'openai/gpt-4o',
      messages: [{ role: 'user', content: 'Ephemeral question' }],
    });
    const list = await t.http.get(SESSIONS).set('Authorization', user.auth);
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    const [session] = list.body.data as Record<string, unknown>[];
    expect(session).toMatchObject({
      title: 'Capital of France?',
      system_prompt: 'Be terse.',
      provider: 'anthropic',
      model: 'claude-sonnet-4-6',
      message_count: 4,
    });
    expect(await storedMessages(user, session.id as string)).toEqual([
      ['user', 'Capital of France?'],
      ['assistant', 'Paris.'],
      ['user', 'And Italy?'],
      ['assistant', 'Rome it is.'],
    ]);
    const found = await t.http.get('/api/v1/search?q=Italy').set('Authorization', user.auth);
    expect(found.status).toBe(200);
    expect(JSON.stringify(found.body)).toContain(session.id);
    const report = await t.http.get('/api/v1/me/usage?group=model').set('Authorization', user.auth);
    const rows = report.body.data as { provider: string; answers: number }[];
    expect(rows.map((r) => [r.provider, r.answers]).sort()).toEqual([
      ['anthropic', 1],
      ['openai', 1],
    ]);
  });

  /**
   * A second app with a small per-minute turn limit and a short provider deadline: the 429 of the rate
   * limit, and a provider that does not answer in time, plain and streamed (a 504, or an error event
   * that ends the stream: never a hang).
   */
  describe(`edge cases (CHAT_RATE_LIMIT=${RATE_LIMIT}, LLM_TIMEOUT_MS=${TIMEOUT_MS})`, () => {
    let edge: TestApp;
    beforeAll(async () => {
      edge = await startTestApp({
        OPENAI_API_KEY: PROVIDER_KEY,
        OPENAI_BASE_URL: `${openai.baseUrl}/v1`,
        GEMINI_API_KEY: PROVIDER_KEY,
        GEMINI_BASE_URL: gemini.baseUrl,
        ANTHROPIC_API_KEY: PROVIDER_KEY,
        ANTHROPIC_BASE_URL: anthropic.baseUrl,
        LLM_PROVIDER: 'openai',
        LLM_MAX_RETRIES: '0',
        LLM_TIMEOUT_MS: String(TIMEOUT_MS),
        LOGIN_MAX_FAILURES: '1000',
        CHAT_RATE_LIMIT: String(RATE_LIMIT),
      });
    });
    afterAll(async () => {
      await edge?.close();
    });

    const post = (key: string, body: Record<string, unknown>) =>
      edge.http.post('/v1/chat/completions').set('Authorization', `Bearer ${key}`).send(body);

    it('the third call of a minute is a 429 rate_limit_exceeded with Retry-After, plain or streamed, before the provider', async () => {
      const { key } = await keyHolder('gw_rate', edge);
      const sdk = client(key, edge);
      for (let i = 0; i < RATE_LIMIT; i++)
        await expect(
          sdk.chat.completions.create({ model: 'openai/gpt-4o', messages: hi }),
        ).resolves.toMatchObject({ object: 'chat.completion' });
      const calls = openai.requests.length;

      const refused = await post(key, { model: 'openai/gpt-4o', messages: hi });
      expect(refused.status).toBe(429);
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
      expectOpenAiError(refused.body, 'rate_limit_error', null);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((refused.body as OpenAiErrorBody).error).toEqual({
        message: `Too many messages: at most ${RATE_LIMIT} a minute. Try again in ${retryAfter} s.`,
        type: 'rate_limit_error',
        param: null,
        code: 'rate_limit_exceeded',
      });

      // a streamed call is refused before its stream opens: the SDK raises RateLimitError
      const streamed = await sdkError(
        sdk.chat.completions.create({ model: 'openai/gpt-4o', messages: hi, stream: true }),
      );
      expect(streamed).toBeInstanceOf(RateLimitError);
      expect(streamed.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      expect(Number(streamed.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(openai.requests.length).toBe(calls);

      // the count is per user
      const other = await keyHolder('gw_rate_other', edge);
      await expect(
        client(other.key, edge).chat.completions.create({ model: 'echo/echo', messages: hi }),
      ).resolves.toMatchObject({ object: 'chat.completion' });
    });

    describe.each(DEADLINE_PROVIDERS)('a silent provider: $name', ({ name, model }) => {
      const fake = { openai, gemini, anthropic }[name];

      /** The caller's usage rows, one per provider and model. */
      const usageOf = async (user: ChatUser) =>
        (await edge.http.get('/api/v1/me/usage?group=model').set('Authorization', user.auth)).body.data;

      it('no answer within the deadline: 504 in OpenAI shape after about the timeout, counted as a failure', async () => {
        const { user, key } = await keyHolder(`gw_late_${name}`, edge);
        fake.hang();
        const started = Date.now();
        const res = await post(key, { model, messages: hi });
        const waited = Date.now() - started;
        expect(res.status).toBe(504);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expectOpenAiError(res.body, 'api_error', null);
        expect((res.body as OpenAiErrorBody).error.message).toMatch(`did not answer within ${TIMEOUT_MS} ms`);
        expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        expect(waited).toBeLessThan(TIMEOUT_MS + 3_000);

        fake.hang();
        const error = await sdkError(client(key, edge).chat.completions.create({ model, messages: hi }));
        expect(error.status).toBe(504);
        expect(await usageOf(user)).toEqual([
          expect.objectContaining({ provider: name, answers: 2, failures: 2 }),
        ]);
      });

      it('streamed, no first chunk within the deadline: still an HTTP 504 in OpenAI shape, no stream opened', async () => {
        const { key } = await keyHolder(`gw_late_s_${name}`, edge);
        fake.hang();
        const res = await requestSse(`${edge.baseUrl}/v1/chat/completions`, {
          headers: { authorization: `Bearer ${key}` },
          body: { model, messages: hi, stream: true },
          timeoutMs: 10_000,
        });
        expect({ status: res.status, ended: res.ended }).toEqual({ status: 504, ended: 'end' });
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expectOpenAiError(JSON.parse(res.text), 'api_error', null);
        expect(res.endedAt - res.startedAt).toBeLessThan(TIMEOUT_MS + 3_000);
      });

      it('streamed, silent between chunks past the deadline: the deltas so far, an error event, the stream closed', async () => {
        const { user, key } = await keyHolder(`gw_stall_${name}`, edge);
        const text = 'one two three four five six';
        fake.reply(text, { chunks: 3, delayMs: TIMEOUT_MS * 2 });
        const res = await requestSse(`${edge.baseUrl}/v1/chat/completions`, {
          headers: { authorization: `Bearer ${key}` },
          body: { model, messages: hi, stream: true },
          timeoutMs: 10_000,
        });
        expect({ status: res.status, ended: res.ended }).toEqual({ status: 200, ended: 'end' });
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const data = res.events.map((event) => JSON.parse(event.data) as Record<string, unknown>);
        expect(res.events.map((event) => event.data)).not.toContain('[DONE]');
        const chunks = data.slice(0, -1) as unknown as ChatCompletionChunk[];
        expect(chunks[0].choices[0].delta.role).toBe('assistant');
        expect(chunks.map((c) => c.choices[0].delta.content).join('')).toBe(splitText(text, 3)[0]);
        expect(chunks.every((c) => c.choices[0].finish_reason === null)).toBe(true);
        expectOpenAiError(data.at(-1), 'api_error', null);
        expect((data.at(-1) as unknown as OpenAiErrorBody).error).toEqual({
          message: expect.stringContaining(`did not answer within ${TIMEOUT_MS} ms`),
          type: 'api_error',
          param: null,
          code: null,
        });
        expect(res.endedAt - res.startedAt).toBeLessThan(TIMEOUT_MS + 3_000);

        // the SDK reads the same stream to the error event and raises it
        fake.reply(text, { chunks: 3, delayMs: TIMEOUT_MS * 2 });
        const stream = await client(key, edge).chat.completions.create({ model, messages: hi, stream: true });
        const raised = await (async () => {
          for await (const chunk of stream) void chunk;
        })().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(raised).toBeInstanceOf(APIError);
        expect(String((raised as Error).message)).toContain(`did not answer within ${TIMEOUT_MS} ms`);
        expect(await usageOf(user)).toEqual([
          expect.objectContaining({ provider: name, answers: 2, failures: 2 }),
        ]);
      });
    });
  });
});
