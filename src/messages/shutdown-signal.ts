import { setMaxListeners } from 'node:events';
import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';

const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Aborted when the server begins to shut down, so that provider calls in flight end; shutdown then
 * waits (up to 10 s) for the turns it tracks to record their outcome before the database closes.
 */
@Injectable()
export class ShutdownSignal implements BeforeApplicationShutdown {
  private readonly controller = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor() {
    // Every provider call in flight listens to this one signal: dozens at once is normal, not a leak.
    setMaxListeners(0, this.controller.signal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Runs work that shutdown must wait for. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.controller.abort(new DOMException('The server is shutting down', 'AbortError'));
    const drained = Promise.allSettled([...this.inFlight]);
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS).unref())]);
  }
}
