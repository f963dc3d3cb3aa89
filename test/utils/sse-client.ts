/**
 * A small Server-Sent Events client over `fetch` for the streaming e2e suites: it reads the response
 * body as it arrives and parses it by the WHATWG rules (CRLF / LF / CR line ends, `:` comment lines,
 * multi-line `data:`, one optional space after the colon), noting when each event arrived.
 */

/** One dispatched event. */
export interface SseEvent {
  /** The `id:` of this frame (undefined when the frame had none). */
  id: string | undefined;
  /** The `event:` of the frame, `message` when it had none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** `performance.now()` when the frame's blank line arrived. */
  receivedAt: number;
}

/** One `:` comment line (heartbeats). */
export interface SseComment {
  text: string;
  receivedAt: number;
}

export interface SseResult {
  status: number;
  headers: Headers;
  events: SseEvent[];
  comments: SseComment[];
  /** The whole body as received (for a non-SSE answer, e.g. a problem+json error). */
  text: string;
  /**
   * How the body ended: `end` (the server closed it cleanly), `aborted` (we aborted: `abortWhen` or
   * `signal`), `error` (the connection broke, e.g. reset by the server), `timeout` (our own limit).
   */
  ended: 'end' | 'aborted' | 'error' | 'timeout';
  /** The network error when `ended` is `error`. */
  error: unknown;
  startedAt: number;
  /** `performance.now()` when the body ended (or was given up on). */
  endedAt: number;
}

export interface SseRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Called for every event as it is parsed. */
  onEvent?: (event: SseEvent) => void;
  /** Aborts the request (closing the connection) right after the first event for which this is true. */
  abortWhen?: (event: SseEvent) => boolean;
  /** Aborts the request from outside. */
  signal?: AbortSignal;
  /** Gives up (aborting the request) after this long; default 30 s. */
  timeoutMs?: number;
}

/** Incremental parser state: feed it decoded text, it emits events and comments. */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  private sawField = false;

  constructor(
    private readonly emit: (event: SseEvent) => void,
    private readonly comment: (comment: SseComment) => void = () => undefined,
  ) {}

  /** Feeds the next piece of text; `final` at the end of the stream. */
  push(text: string, final = false): void {
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A CR at the very end may be the first half of a CRLF still on its way.
      if (match[0] === '\r' && match.index === this.buffer.length - 1 && !final) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
    if (final) {
      // An unterminated last frame is dropped, as the spec says.
      this.buffer = '';
      this.reset();
    }
  }

  private line(line: string): void {
    const now = performance.now();
    if (line === '') {
      if (this.sawField && (this.data.length > 0 || this.event !== '')) {
        this.emit({
          id: this.id,
          event: this.event || 'message',
          data: this.data.join('\n'),
          receivedAt: now,
        });
      }
      this.reset();
      return;
    }
    if (line.startsWith(':')) {
      this.comment({ text: line.slice(1).replace(/^ /, ''), receivedAt: now });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    this.sawField = true;
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      default:
        break; // `retry` and unknown fields are ignored
    }
  }

  private reset(): void {
    this.data = [];
    this.event = '';
    this.id = undefined;
    this.sawField = false;
  }
}

/** Parses a complete SSE body at once. */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((event) => events.push(event));
  parser.push(text, true);
  return events;
}

/**
 * Sends a request (by default `POST` with a JSON body and `Accept: text/event-stream`) and reads the
 * answer to its end, parsing events as they arrive. Never throws for HTTP or network errors: the result
 * tells how the body ended.
 */
export async function requestSse(url: string, options: SseRequestOptions = {}): Promise<SseResult> {
  const controller = new AbortController();
  let why: 'aborted' | 'timeout' | undefined;
  const abort = (reason: 'aborted' | 'timeout') => {
    why ??= reason;
    controller.abort();
  };
  const onOuterAbort = () => abort('aborted');
  if (options.signal?.aborted) abort('aborted');
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(() => abort('timeout'), options.timeoutMs ?? 30_000);

  const startedAt = performance.now();
  const result: SseResult = {
    status: 0,
    headers: new Headers(),
    events: [],
    comments: [],
    text: '',
    ended: 'end',
    error: undefined,
    startedAt,
    endedAt: startedAt,
  };
  const parser = new SseParser(
    (event) => {
      result.events.push(event);
      options.onEvent?.(event);
      if (options.abortWhen?.(event)) abort('aborted');
    },
    (comment) => result.comments.push(comment),
  );
  const decoder = new TextDecoder();
  try {
    const response = await fetch(url, {
      method: options.method ?? 'POST',
      headers: {
        accept: 'text/event-stream',
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: controller.signal,
    });
    result.status = response.status;
    result.headers = response.headers;
    if (response.body) {
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const text = decoder.decode(value, { stream: true });
          result.text += text;
          parser.push(text);
          if (controller.signal.aborted) break;
        }
      } finally {
        if (controller.signal.aborted) await reader.cancel().catch(() => undefined);
      }
    }
    const rest = decoder.decode();
    result.text += rest;
    parser.push(rest, true);
    result.ended = why ?? 'end';
  } catch (error) {
    result.ended = why ?? 'error';
    if (!why) result.error = error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    result.endedAt = performance.now();
  }
  return result;
}

/** The JSON `data` of an event. */
export function dataOf<T = Record<string, unknown>>(event: SseEvent | undefined): T {
  if (!event) throw new Error('no such event');
  return JSON.parse(event.data) as T;
}

/**
 * The question of a `message.created` event without `assistant_message_id`, the answer's id that the
 * event also carries (for a resume or a stop); throws when that id is missing.
 */
export function createdQuestion<T = Record<string, unknown>>(event: SseEvent | undefined): T {
  const { assistant_message_id: answerId, ...question } = dataOf(event);
  if (typeof answerId !== 'string') throw new Error('message.created carries no assistant_message_id');
  return question as T;
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

// ---------------------------------------------------------------------------------------------------
// The chat API's streamed turn

/** `POST /api/v1/chat-sessions/:id/messages` with `Accept: text/event-stream`, read to its end. */
export function streamMessage(
  baseUrl: string,
  auth: string,
  sessionId: string,
  content: unknown,
  options: Omit<SseRequestOptions, 'body' | 'method'> = {},
): Promise<SseResult> {
  return requestSse(`${baseUrl}/api/v1/chat-sessions/${sessionId}/messages`, {
    ...options,
    headers: { authorization: auth, ...options.headers },
    body: { content },
  });
}

/** The event names, in order: `['message.created', 'delta', 'delta', 'message.completed']`. */
export function eventNames(result: SseResult): string[] {
  return result.events.map((e) => e.event);
}

/** The `delta` events' texts, in order. */
export function deltaTexts(result: SseResult): string[] {
  return result.events.filter((e) => e.event === 'delta').map((e) => dataOf<{ text: string }>(e).text);
}

/** Event names with runs of `delta` folded into one `delta…`, for readable order assertions. */
export function eventShape(result: SseResult): string[] {
  const shape: string[] = [];
  for (const name of eventNames(result)) {
    const folded = name === 'delta' ? 'delta…' : name;
    if (folded !== 'delta…' || shape.at(-1) !== 'delta…') shape.push(folded);
  }
  return shape;
}
