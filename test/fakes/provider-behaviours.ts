import { expect, it } from '@jest/globals';
import type { LlmProvider, LlmProviderName, LlmRequest } from '../../src/llm/llm-provider.js';
import type { FakeServer } from './fake-server.js';
import { collectStream, waitUntil } from './helpers.js';

const hello: LlmRequest = { messages: [{ role: 'user', content: 'Hello there' }] };
const signal = () => new AbortController().signal;

/**
 * The timeout and abort tests every provider must pass, against its wire fake: call it inside the
 * provider's describe. `provider` makes one with the given timeout (its usual one when omitted).
 */
export function itHonoursDeadlinesAndAborts<Body>(
  name: LlmProviderName,
  fake: FakeServer<Body>,
  provider: (options?: { timeoutMs?: number }) => LlmProvider,
): void {
  it('maps an unanswered request to timeout', async () => {
    fake.hang();
    const started = Date.now();

    await expect(provider({ timeoutMs: 300 }).complete(hello, signal())).rejects.toMatchObject({
      kind: 'timeout',
      provider: name,
      httpStatus: 504,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out a stream whose server goes silent between chunks', async () => {
    fake.reply('one two three four', { chunks: 2, delayMs: 1_000 });

    const { deltas, error } = await collectStream(provider({ timeoutMs: 300 }).stream(hello, signal()));

    expect(deltas).toEqual(['one two ']);
    expect(error).toMatchObject({ kind: 'timeout', provider: name });
  });

  it('rethrows the caller abort as is and drops the request', async () => {
    fake.hang();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    await expect(provider().complete(hello, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    await waitUntil(() => fake.lastRequest?.closedEarly === true);
  });

  it('ends a stream aborted by the caller with the abort, not with done', async () => {
    fake.reply('one two three four five six', { chunks: 3, delayMs: 200 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);

    const { events, error } = await collectStream(provider().stream(hello, controller.signal));

    // Any `usage` event (the tokens reported so far: Anthropic's come first) stays; no `done`.
    expect(events.filter((e) => e.type !== 'usage')).toEqual([{ type: 'delta', text: 'one two ' }]);
    expect(error).toMatchObject({ name: 'AbortError' });
  });

  it('drops the upstream request when the consumer stops reading a stream', async () => {
    fake.reply('one two three four five six', { chunks: 3, delayMs: 200 });

    for await (const event of provider().stream(hello, signal())) {
      if (event.type === 'usage') continue;
      expect(event).toEqual({ type: 'delta', text: 'one two ' });
      break;
    }

    await waitUntil(() => fake.lastRequest?.closedEarly === true);
  });
}
