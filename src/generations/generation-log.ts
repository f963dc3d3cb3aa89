import { FINAL_EVENTS, type GenerationEvent } from './generation-events.js';

/**
 * One answer's events in memory: numbered from 1, at most `maxEvents` kept (the oldest dropped first),
 * followed by any number of readers, each woken when an event arrives. A reader whose next event was
 * dropped is ended rather than given the events after the gap: its stream then ends with the stored answer.
 */
export class GenerationLog {
  private readonly events: GenerationEvent[] = [];
  private lastId = 0;
  private done = false;
  private waiters: (() => void)[] = [];

  constructor(private readonly maxEvents: number) {}

  get ended(): boolean {
    return this.done;
  }

  append(event: string, data: string): GenerationEvent {
    const stored = { id: ++this.lastId, event, data };
    this.events.push(stored);
    if (this.events.length > this.maxEvents) this.events.shift();
    if (FINAL_EVENTS.has(event)) this.done = true;
    this.wake();
    return stored;
  }

  /** Ends the log without a final event (its writer went away). */
  close(): void {
    this.done = true;
    this.wake();
  }

  async *follow(afterId: number, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    let next = afterId + 1;
    while (!signal.aborted) {
      // Looked up by id each time: events may be dropped while this follower's consumer is busy.
      const first = this.events[0]?.id ?? this.lastId + 1;
      if (next < first) return; // dropped: never skip events silently
      const event = this.events[next - first];
      if (event) {
        next += 1;
        yield event;
        if (FINAL_EVENTS.has(event.event)) return;
      } else if (this.done) {
        return;
      } else {
        await this.changed(signal);
      }
    }
  }

  private changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const onAbort = () => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
