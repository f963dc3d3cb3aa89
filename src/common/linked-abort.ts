/**
 * An AbortController that also aborts when any of `sources` does, until {@link release}. Not
 * `AbortSignal.any`: on Node.js 20 a signal it makes stays reachable from its sources for as long as they
 * live, and a source here is the server-wide shutdown signal, so every stream would leak two signals.
 */
export class LinkedAbort {
  private readonly controller = new AbortController();
  private readonly listeners: [AbortSignal, () => void][] = [];

  constructor(sources: AbortSignal[]) {
    for (const source of sources) {
      if (source.aborted) {
        this.controller.abort(source.reason);
        break;
      }
      const onAbort = () => this.abort(source.reason);
      source.addEventListener('abort', onAbort, { once: true });
      this.listeners.push([source, onAbort]);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason?: unknown): void {
    this.release();
    this.controller.abort(reason);
  }

  /** Stops following the sources (call it when done, so that long-lived sources do not hold this). */
  release(): void {
    for (const [source, onAbort] of this.listeners.splice(0)) source.removeEventListener('abort', onAbort);
  }
}
