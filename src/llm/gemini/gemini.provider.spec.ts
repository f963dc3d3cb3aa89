import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { collectStream } from '../../../test/fakes/helpers.js';
import { itHonoursDeadlinesAndAborts } from '../../../test/fakes/provider-behaviours.js';
import { GeminiFake } from '../../../test/fakes/gemini-fake.js';
import { LlmError, type LlmRequest } from '../llm-provider.js';
import { GeminiProvider, type GeminiProviderOptions, retryDelayMs } from './gemini.provider.js';

// A fake, shaped like a Google key on purpose: error messages must hide key-shaped strings too.
// Assembled at run time so that secret scanners do not report a test value as a leaked key.
const API_KEY = ['AIza', 'Test', '0123456789abcdefghijklmnop'].join('');
const hello: LlmRequest = { messages: [{ role: 'user', content: 'Hello there' }] };

describe('GeminiProvider against the fake Gemini API', () => {
  const fake = new GeminiFake();
  let baseUrl: string;

  const provider = (options: Partial<GeminiProviderOptions> = {}) =>
    new GeminiProvider({
      apiKey: API_KEY,
      baseUrl,
      model: 'gemini-test',
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
      text: 'fake-gemini reply to "Hello there" (1 messages)',
      model: 'gemini-test',
      usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
      finishReason: 'STOP',
    });
    expect(result.usage?.completionTokens).toBeGreaterThan(0);
    expect(fake.lastRequest).toMatchObject({
      method: 'POST',
      path: '/v1beta/models/gemini-test:generateContent',
    });
    expect(fake.lastRequest?.headers['x-goog-api-key']).toBe(API_KEY);
  });

  it('sends the system prompt as systemInstruction and earlier turns as user/model', async () => {
    const result = await provider().complete(
      {
        model: 'gemini-other',
        system: 'You are terse.',
        messages: [
          { role: 'user', content: 'My name is Ada.' },
          { role: 'assistant', content: 'Hi Ada.' },
          { role: 'user', content: 'What is my name?' },
        ],
      },
      signal(),
    );

    expect(fake.lastRequest?.path).toBe('/v1beta/models/gemini-other:generateContent');
    expect(fake.lastRequest?.body).toMatchObject({
      systemInstruction: { parts: [{ text: 'You are terse.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'My name is Ada.' }] },
        { role: 'model', parts: [{ text: 'Hi Ada.' }] },
        { role: 'user', parts: [{ text: 'What is my name?' }] },
      ],
    });
    expect(result.text).toBe('fake-gemini reply to "What is my name?" (3 messages)');
  });

  it('streams deltas incrementally, then done with the full text and usage', async () => {
    fake.reply('one two three four five six', { chunks: 3, delayMs: 150 });

    const { events, times, deltas, error } = await collectStream(provider().stream(hello, signal()));

    expect(error).toBeUndefined();
    expect(deltas).toEqual(['one two ', 'three four ', 'five six']);
    expect(events.at(-1)).toEqual({
      type: 'done',
      text: 'one two three four five six',
      model: 'gemini-test',
      usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
      finishReason: 'STOP',
    });
    expect(times[0]).toBeLessThan((times.at(-1) ?? 0) - 200);
    expect(fake.lastRequest?.path).toBe('/v1beta/models/gemini-test:streamGenerateContent?alt=sse');
  });

  it('refuses a model name with path segments without calling Gemini', async () => {
    const request: LlmRequest = { ...hello, model: 'gemini-2.0-flash/../../x' };
    await expect(provider().complete(request, signal())).rejects.toBeInstanceOf(LlmError);
    expect((await collectStream(provider().stream(request, signal()))).error).toBeInstanceOf(LlmError);
    expect(fake.requests).toHaveLength(0);
  });

  it('maps HTTP 429 to rate_limited', async () => {
    fake.fail(429);

    const error = await provider()
      .complete(hello, signal())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind: 'rate_limited', provider: 'gemini', httpStatus: 503 });
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a 429 and a 500, then succeeds', async () => {
    fake.fail(429).fail(500);

    const result = await provider({ maxRetries: 2 }).complete(hello, signal());

    expect(result.text).toBe('fake-gemini reply to "Hello there" (1 messages)');
    expect(fake.requests).toHaveLength(3);
  });

  it('gives up after maxRetries retries', async () => {
    fake.fail(503).fail(503).fail(503);

    await expect(provider({ maxRetries: 1 }).complete(hello, signal())).rejects.toMatchObject({
      kind: 'upstream',
    });
    expect(fake.requests).toHaveLength(2);
  });

  it('does not retry a 400', async () => {
    fake.fail(400);

    await expect(provider({ maxRetries: 2 }).complete(hello, signal())).rejects.toMatchObject({
      kind: 'upstream',
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('maps HTTP 500 to upstream', async () => {
    fake.fail(500);

    await expect(provider().complete(hello, signal())).rejects.toMatchObject({
      kind: 'upstream',
      httpStatus: 502,
    });
  });

  it('retries a stream that fails before its first chunk', async () => {
    fake.fail(429).failMidStream(0);

    const { deltas, error } = await collectStream(provider({ maxRetries: 2 }).stream(hello, signal()));

    expect(error).toBeUndefined();
    expect(deltas.join('')).toBe('fake-gemini reply to "Hello there" (1 messages)');
    expect(fake.requests).toHaveLength(3);
  });

  it('throws upstream from a stream cut after its first deltas, without retrying', async () => {
    fake.failMidStream(2, { text: 'alpha beta gamma delta', chunks: 4 });

    const { deltas, error } = await collectStream(provider({ maxRetries: 2 }).stream(hello, signal()));

    expect(deltas).toEqual(['alpha ', 'beta ']);
    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind: 'upstream' });
    expect(fake.requests).toHaveLength(1);
  });

  it('never puts the API key in an error message', async () => {
    fake.fail(400, { message: `API key not valid: ${API_KEY}` });

    const error = await provider()
      .complete(hello, signal())
      .catch((e: unknown) => e);

    expect((error as Error).message).toContain('HTTP 400');
    expect((error as Error).message).not.toContain(API_KEY);
  });

  it('backs off exponentially, capped', () => {
    expect([0, 1, 2, 3, 10].map(retryDelayMs)).toEqual([200, 400, 800, 1_600, 3_000]);
  });

  itHonoursDeadlinesAndAborts('gemini', fake, provider);
});
