import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { collectStream } from '../../../test/fakes/helpers.js';
import { itHonoursDeadlinesAndAborts } from '../../../test/fakes/provider-behaviours.js';
import { fakeTokens } from '../../../test/fakes/fake-server.js';
import { OpenAiFake } from '../../../test/fakes/openai-fake.js';
import { LlmError, type LlmRequest } from '../llm-provider.js';
import { OpenAiProvider, type OpenAiProviderOptions } from './openai.provider.js';

const API_KEY = 'sk-test-0123456789abcdef';
const hello: LlmRequest = { messages: [{ role: 'user', content: 'Hello there' }] };

describe('OpenAiProvider against the fake OpenAI API', () => {
  const fake = new OpenAiFake();
  let baseUrl: string;

  const provider = (options: Partial<OpenAiProviderOptions> = {}) =>
    new OpenAiProvider({
      apiKey: API_KEY,
      baseUrl: `${baseUrl}/v1`,
      model: 'gpt-test',
      timeoutMs: 5_000,
      maxRetries: 0,
      ...options,
    });
  const signal = () => new AbortController().signal;

  beforeAll(async () => {
    baseUrl = (await fake.start()).baseUrl;
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('answers with text, model, usage and finish reason', async () => {
    const result = await provider().complete(hello, signal());

    expect(result).toEqual({
      text: 'fake-openai reply to "Hello there" (1 messages)',
      model: 'gpt-test',
      usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
      finishReason: 'stop',
    });
    expect(result.usage?.promptTokens).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(1);
    expect(fake.lastRequest).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(fake.lastRequest?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('sends the system prompt and earlier turns in OpenAI roles, and honours request.model', async () => {
    const result = await provider().complete(
      {
        model: 'gpt-other',
        system: 'You are terse.',
        messages: [
          { role: 'user', content: 'My name is Ada.' },
          { role: 'assistant', content: 'Hi Ada.' },
          { role: 'user', content: 'What is my name?' },
        ],
      },
      signal(),
    );

    expect(fake.lastRequest?.body).toMatchObject({
      model: 'gpt-other',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Hi Ada.' },
        { role: 'user', content: 'What is my name?' },
      ],
    });
    expect(result.text).toBe('fake-openai reply to "What is my name?" (3 messages)');
  });

  it('streams deltas incrementally, then done with the full text and usage', async () => {
    fake.reply('one two three four five six', { chunks: 3, delayMs: 150 });

    const { events, times, deltas, error } = await collectStream(provider().stream(hello, signal()));

    expect(error).toBeUndefined();
    expect(deltas).toEqual(['one two ', 'three four ', 'five six']);
    const done = events.at(-1);
    expect(done).toEqual({
      type: 'done',
      text: 'one two three four five six',
      model: 'gpt-test',
      usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
      finishReason: 'stop',
    });
    expect(times[0]).toBeLessThan((times.at(-1) ?? 0) - 200);
    expect(fake.lastRequest?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('reports the tokens of a chunk that has them in a usage event before its delta, so a cut stream keeps them', async () => {
    fake.failMidStream(2, { text: 'one two three four five six', chunks: 3, continuousUsage: true });

    const { events, error } = await collectStream(provider().stream(hello, signal()));

    const reported = (text: string) => ({
      type: 'usage',
      text,
      model: 'gpt-test',
      usage: { promptTokens: fakeTokens(hello.messages), completionTokens: fakeTokens(text) },
      finishReason: null,
    });
    expect(events).toEqual([
      reported('one two '),
      { type: 'delta', text: 'one two ' },
      reported('one two three four '),
      { type: 'delta', text: 'three four ' },
    ]);
    expect(error).toMatchObject({ kind: 'upstream', provider: 'openai' });
  });

  it("keeps its connections to the API alive (the SDK's own fetch: Node's)", async () => {
    const openai = provider();
    for (let i = 0; i < 5; i += 1) {
      await openai.complete(hello, signal());
      await collectStream(openai.stream(hello, signal()));
    }

    // A call made the moment the one before resolves can find its connection not yet back in the pool
    // and open a second one; without keep-alive there would be one per call.
    expect(fake.requests).toHaveLength(10);
    expect(new Set(fake.requests.map((r) => r.clientPort)).size).toBeLessThanOrEqual(2);
  });

  it('maps HTTP 429 to rate_limited', async () => {
    fake.fail(429);

    const error = await provider()
      .complete(hello, signal())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind: 'rate_limited', provider: 'openai', httpStatus: 503 });
    expect(fake.requests).toHaveLength(1);
  });

  it('lets the SDK retry a 429 when retries are allowed', async () => {
    fake.fail(429, { headers: { 'retry-after-ms': '10' } });

    const result = await provider({ maxRetries: 2 }).complete(hello, signal());

    expect(result.text).toContain('fake-openai reply to "Hello there"');
    expect(fake.requests).toHaveLength(2);
  });

  it('maps HTTP 500 to upstream', async () => {
    fake.fail(500);

    await expect(provider().complete(hello, signal())).rejects.toMatchObject({
      kind: 'upstream',
      httpStatus: 502,
    });
  });

  it('times out a stream whose server does not answer', async () => {
    fake.hang();

    const { error } = await collectStream(provider({ timeoutMs: 300 }).stream(hello, signal()));

    expect(error).toMatchObject({ kind: 'timeout', provider: 'openai' });
  });

  it('throws upstream from a stream cut after its first deltas', async () => {
    fake.failMidStream(2, { text: 'alpha beta gamma delta', chunks: 4 });

    const { deltas, error } = await collectStream(provider().stream(hello, signal()));

    expect(deltas).toEqual(['alpha ', 'beta ']);
    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind: 'upstream' });
  });

  it('never puts the API key in an error message', async () => {
    fake.fail(401, { message: `Incorrect API key provided: ${API_KEY}.` });

    const error = await provider()
      .complete(hello, signal())
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ kind: 'upstream' });
    expect((error as Error).message).toContain('HTTP 401');
    expect((error as Error).message).not.toContain(API_KEY);
  });

  itHonoursDeadlinesAndAborts('openai', fake, provider);
});
