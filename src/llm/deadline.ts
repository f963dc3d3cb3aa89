import type { LlmResult, LlmStreamEvent } from './llm-provider.js';

/** The reason a released deadline aborts with: made once, as an abort without one builds a DOMException. */
const RELEASED = Object.freeze(new Error('released'));

/**
 * An abort signal that fires when the caller's signal does or when the timer runs out. The timer only
 * runs while armed, so it can bound a request, or the silence between two streamed chunks.
 * Call {@link release} when done: it stops the timer and cancels whatever still listens to `signal`.
 */
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

/** What a provider's stream() supplies to {@link streamUnderDeadline}: its SDK's stream and how to read it. */
export interface ChunkStream<Chunk> {
  /** The model asked for: the result's until a chunk names the model answering. */
  model: string;
  /** Sends the request (with `deadline.signal`) and returns the SDK's stream of chunks. */
  open(deadline: Deadline): Promise<AsyncIterable<Chunk>>;
  /** Takes what a chunk says (model, usage, finish reason) into `result`; returns its text, if any. */
  read(chunk: Chunk, result: LlmResult): string | null | undefined;
}

/**
 * A provider's answer as stream events (a `usage` event whenever a chunk brings new token counts, so that
 * a stopped or failed answer keeps them), under a deadline that bounds the wait for the first chunk (the
 * opening and any retries included), then the silence between two chunks, but never the time the
 * consumer takes with an event. The three SDK-backed providers share this so that their timeouts,
 * aborts and error mapping cannot drift apart: what `open` or `read` throws goes through `failure`, and
 * the deadline is released (dropping the upstream request) however the stream ends.
 */
export async function* streamUnderDeadline<Chunk>(
  ms: number,
  signal: AbortSignal,
  stream: ChunkStream<Chunk>,
  failure: (error: unknown, deadline: Deadline) => unknown,
): AsyncGenerator<LlmStreamEvent> {
  const deadline = new Deadline(ms, signal);
  deadline.arm();
  const result: LlmResult = { text: '', model: stream.model, usage: null, finishReason: null };
  try {
    for await (const chunk of await stream.open(deadline)) {
      deadline.disarm();
      const reported = result.usage;
      const text = stream.read(chunk, result);
      if (text) result.text += text;
      if (result.usage !== reported) yield { type: 'usage', ...result };
      if (text) yield { type: 'delta', text };
      deadline.arm();
    }
    deadline.signal.throwIfAborted(); // some SDKs end an aborted stream quietly
    yield { type: 'done', ...result };
  } catch (error) {
    throw failure(error, deadline);
  } finally {
    deadline.release();
  }
}
