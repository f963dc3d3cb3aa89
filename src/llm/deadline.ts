/**
 * An abort signal that fires when the caller's signal does or when the timer runs out. The timer only
 * runs while armed, so it can bound a request, or the silence between two streamed chunks.
 * Call {@link release} when done: it stops the timer and cancels whatever still listens to `signal`.
 */
/** The reason a released deadline aborts with: made once, as an abort without one builds a DOMException. */
const RELEASED = Object.freeze(new Error('released'));

export class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;
  private readonly onCallerAbort = () => this.controller.abort(this.callerSignal.reason);

  constructor(
    private readonly ms: number,
    private readonly callerSignal: AbortSignal,
  ) {
    if (callerSignal.aborted) this.controller.abort(callerSignal.reason);
    else callerSignal.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether the timer (rather than the caller) aborted the signal. */
  get expired(): boolean {
    return this.timedOut;
  }

  /** (Re)starts the timer from now. */
  arm(): void {
    this.disarm();
    this.timer = setTimeout(() => {
      if (this.controller.signal.aborted) return;
      this.timedOut = true;
      this.controller.abort(new DOMException(`No answer within ${this.ms} ms`, 'TimeoutError'));
    }, this.ms);
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops the timer, stops following the caller's signal, and aborts `signal`. */
  release(): void {
    this.disarm();
    this.callerSignal.removeEventListener('abort', this.onCallerAbort);
    this.controller.abort(RELEASED);
  }
}

/**
 * Runs one provider call under a fresh deadline armed for its whole length: what it throws goes through
 * `failure` (the provider's error mapping), and the deadline is released however it ends.
 */
export async function underDeadline<T>(
  ms: number,
  signal: AbortSignal,
  call: (deadline: Deadline) => Promise<T>,
  failure: (error: unknown, deadline: Deadline) => unknown,
): Promise<T> {
  const deadline = new Deadline(ms, signal);
  deadline.arm();
  try {
    return await call(deadline);
  } catch (error) {
    throw failure(error, deadline);
  } finally {
    deadline.release();
  }
}
