import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AnthropicFake } from '../../../test/fakes/anthropic-fake.js';
import { fakeTokens } from '../../../test/fakes/fake-server.js';
import { collectStream } from '../../../test/fakes/helpers.js';
import { itHonoursDeadlinesAndAborts } from '../../../test/fakes/provider-behaviours.js';
import { LlmError, type LlmRequest } from '../llm-provider.js';
import { AnthropicProvider, type AnthropicProviderOptions } from './anthropic.provider.js';

const API_KEY = 'sk-ant-api03-test-0123456789abcdef';
const hello: LlmRequest = { messages: [{ role: 'user', content: 'Hello there' }] };

describe('AnthropicProvider against the fake Messages API', () => {
  const fake = new AnthropicFake();
  let baseUrl: string;

  const provider = (options: Partial<AnthropicProviderOptions> = {}) =>
    new AnthropicProvider({
      apiKey: API_KEY,
      baseUrl,
      model: 'claude-test',
      maxTokens: 1024,
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

  it('answers with text, model, usage and the stop reason in the app’s words', async () => {
    const result = await provider().complete(hello, signal());

    expect(result).toEqual({
      text: 'fake-anthropic reply to "Hello there" (1 messages)',
      model: 'claude-test',
      usage: {
        promptTokens: fakeTokens([undefined, hello.messages]),
        completionTokens: fakeTokens(result.text),
      },
      finishReason: 'stop',
    });
    expect(fake.lastRequest).toMatchObject({ method: 'POST', path: '/v1/messages' });
    // What the SDK 1.x sends as shipped: the key as a bearer token, and an API version.
    expect(fake.lastRequest?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(fake.lastRequest?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('sends the system prompt top-level, the turns as they are, max_tokens always, and no sampling settings', async () => {
    await provider().complete(
      {
        model: 'claude-other',
        system: 'You are terse.',
        messages: [
          { role: 'user', content: 'My name is Ada.' },
          { role: 'assistant', content: 'Hi Ada.' },
          { role: 'user', content: 'What is my name?' },
        ],
      },
      signal(),
    );

    expect(fake.lastRequest?.body).toEqual({
      model: 'claude-other',
      max_tokens: 1024,
      system: 'You are terse.',
      messages: [
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Hi Ada.' },
        { role: 'user', content: 'What is my name?' },
      ],
    });
  });

  it("takes a request's own max_tokens (a title's), and sends no system without a system prompt", async () => {
    await provider().complete({ ...hello, maxTokens: 50 }, signal());

    expect(fake.lastRequest?.body?.max_tokens).toBe(50);
    expect(fake.lastRequest?.body).not.toHaveProperty('system');
  });

  it('streams deltas incrementally, then done with the full text, usage and stop reason', async () => {
    fake.reply('one two three four five six', { chunks: 3, delayMs: 150 });

    const { events, times, deltas, error } = await collectStream(provider().stream(hello, signal()));

    expect(error).toBeUndefined();
    expect(deltas).toEqual(['one two ', 'three four ', 'five six']);
    expect(events.at(-1)).toEqual({
      type: 'done',
      text: 'one two three four five six',
      model: 'claude-test',
      usage: {
        promptTokens: fakeTokens([undefined, hello.messages]),
        completionTokens: fakeTokens('one two three four five six'),
      },
      finishReason: 'stop',
    });
    expect(times[0]).toBeLessThan((times.at(-1) ?? 0) - 200);
    expect(fake.lastRequest?.body).toMatchObject({ stream: true, max_tokens: 1024 });
  });

  it.each([
    [429, 'rate_limited', 503, 'Anthropic rate limit reached (HTTP 429)'],
    [529, 'overloaded', 503, 'Anthropic is overloaded (HTTP 529)'],
    [500, 'upstream', 502, 'Anthropic request failed (HTTP 500)'],
    [400, 'upstream', 502, 'Anthropic request failed (HTTP 400)'],
  ])('maps HTTP %i to %s (%i)', async (status, kind, httpStatus, summary) => {
    fake.fail(status);

    const error = await provider()
      .complete(hello, signal())
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind, provider: 'anthropic', httpStatus });
    expect((error as Error).message.startsWith(summary)).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  it('lets the SDK retry a 529 when retries are allowed', async () => {
    fake.fail(529, { headers: { 'retry-after-ms': '10' } });

    const result = await provider({ maxRetries: 2 }).complete(hello, signal());

    expect(result.text).toContain('fake-anthropic reply to "Hello there"');
    expect(fake.requests).toHaveLength(2);
  });

  it('ends a stream with an overloaded error event after its first deltas as overloaded (503)', async () => {
    fake.errorMidStream(2, 'overloaded_error', { text: 'alpha beta gamma delta', chunks: 4 });

    const { deltas, error } = await collectStream(provider().stream(hello, signal()));

    expect(deltas).toEqual(['alpha ', 'beta ']);
    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind: 'overloaded', httpStatus: 503 });
    expect((error as Error).message).toMatch(/^Anthropic is overloaded \(overloaded_error event\)/);
  });

  it('ends a stream with an api_error event as upstream (502)', async () => {
    fake.errorMidStream(1, 'api_error', { message: 'Internal server error' });

    const { deltas, error } = await collectStream(provider().stream(hello, signal()));

    expect(deltas).toHaveLength(1);
    expect(error).toMatchObject({ kind: 'upstream', httpStatus: 502 });
    expect((error as Error).message).toMatch(/^Anthropic request failed \(api_error event\)/);
  });

  it('throws upstream from a stream cut after its first deltas', async () => {
    fake.failMidStream(2, { text: 'alpha beta gamma delta', chunks: 4 });

    const { deltas, error } = await collectStream(provider().stream(hello, signal()));

    expect(deltas).toEqual(['alpha ', 'beta ']);
    expect(error).toMatchObject({ kind: 'upstream' });
  });

  it('never puts the API key in an error message', async () => {
    fake.fail(401, { message: `invalid x-api-key: ${API_KEY}` });

    const error = await provider()
      .complete(hello, signal())
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ kind: 'upstream' });
    expect((error as Error).message).toContain('HTTP 401');
    expect((error as Error).message).not.toContain(API_KEY);
  });

  itHonoursDeadlinesAndAborts('anthropic', fake, provider);
});
