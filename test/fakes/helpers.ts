import type { LlmStreamEvent } from '../../src/llm/llm-provider.js';

export interface CollectedStream {
  events: LlmStreamEvent[];
  /** Milliseconds since the start of collection at which each event arrived. */
  times: number[];
  /** The delta texts, in order. */
  deltas: string[];
  /** The error the stream ended with, if any. */
  error: unknown;
}

/** Drains a provider stream, noting when each event arrived and how it ended. */
export async function collectStream(stream: AsyncIterable<LlmStreamEvent>): Promise<CollectedStream> {
  const started = performance.now();
  const collected: CollectedStream = { events: [], times: [], deltas: [], error: undefined };
  try {
    for await (const event of stream) {
      collected.events.push(event);
      collected.times.push(performance.now() - started);
      if (event.type === 'delta') collected.deltas.push(event.text);
    }
  } catch (error) {
    collected.error = error;
  }
  return collected;
}

/** Resolves once `check()` is true, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
