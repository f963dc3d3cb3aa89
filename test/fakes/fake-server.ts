import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** One request the fake received, recorded before it is answered. */
export interface RecordedRequest<Body = unknown> {
  method: string;
  /** Path with its query string, e.g. `/v1beta/models/gemini-x:streamGenerateContent?alt=sse`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (`undefined` when there was none or it was not JSON). */
  body: Body | undefined;
  rawBody: string;
  /** Set when the connection closed before the fake finished answering: a client abort or a cut stream. */
  closedEarly: boolean;
  /** Set once the answer is over (sent, or cut). */
  closed: boolean;
  /** The client's port: requests over one kept-alive connection share it. */
  clientPort: number | undefined;
}

export interface ReplyOptions {
  /** Streamed answers come in this many pieces (default 3). */
  chunks?: number;
  /** Pause before each piece after the first (streamed), or before the whole answer (not streamed). */
  delayMs?: number;
  /** Holds the answer (its first piece, or the whole of it) until this settles, e.g. a test's `deferred()`. */
  hold?: Promise<unknown>;
  /** Streamed: every piece also reports the tokens so far (as vLLM's `continuous_usage_stats`), where the wire has usage. */
  continuousUsage?: boolean;
}

/** What the fake does with one request. */
export type FakeBehaviour =
  /** Answers with `text` (default: the fake's deterministic reply). */
  | ({ type: 'reply'; text?: string } & ReplyOptions)
  /** Streams the first `afterChunks` pieces, then destroys the socket (a non-streamed request gets no answer at all). */
  | ({ type: 'failMidStream'; afterChunks: number; text?: string } & ReplyOptions)
  /** Answers with this HTTP status and the API's error body. */
  | { type: 'error'; status: number; message?: string; headers?: Record<string, string> }
  /** Streams the first `afterChunks` pieces, then the API's in-stream error event (APIs that have one). */
  | ({
      type: 'errorEvent';
      afterChunks: number;
      errorType: string;
      message?: string;
      text?: string;
    } & ReplyOptions)
  /** Never answers, so the client times out. */
  | { type: 'hang' };

/** The conversation as the fake reads it from a request body. */
export interface SeenConversation {
  lastUserText: string;
  firstUserText: string;
  /** The system prompt ('' without one). */
  system: string;
  /** user + assistant/model turns, not counting a system prompt. */
  turns: number;
}

/** The app's request for a session title: its instruction asks for "a title of at most N words". */
const TITLE_INSTRUCTION = /\btitle of at most \d+ words\b/i;

export interface ReplyContext<Body> {
  model: string;
  body: Body | undefined;
  text: string;
  continuousUsage?: boolean;
}

/** The parts of a fake that depend on the API's wire format. */
export interface WireFormat<Body> {
  /** Prefix of the default reply, e.g. `fake-openai`. */
  readonly name: string;
  /** Why the API would refuse a request's headers (no key, no API version), or undefined. */
  refuse?(headers: IncomingHttpHeaders): { status: number; message: string } | undefined;
  /** The route a request hits; null when it is not an endpoint of this API. */
  route(method: string, path: string, body: Body | undefined): { model: string; stream: boolean } | null;
  conversation(body: Body | undefined): SeenConversation;
  /** The JSON body of a non-streamed answer. */
  completion(context: ReplyContext<Body>): unknown;
  /** Raw SSE frames: one per text piece (`chunks`), then any closing frames (`tail`). */
  streamFrames(pieces: string[], context: ReplyContext<Body>): { chunks: string[]; tail: string[] };
  errorBody(status: number, message: string | undefined): unknown;
  /** The raw SSE frame of an error sent inside a stream, for APIs that have one. */
  streamError?(errorType: string, message: string | undefined): string;
}

/**
 * A loopback HTTP server speaking one LLM API. Each request takes the next queued behaviour, or the
 * default one (a deterministic reply) when the queue is empty; every request is recorded in `requests`.
 * The app's title requests (after a session's first answer, at a moment of their own) are kept apart,
 * so that a suite's replies and counts concern its turns only: they are recorded in `titleRequests`
 * and take their own queue (`replyTitle`, `enqueueTitle`), whose default answers with the first
 * question's first six words, as echo does: a short question stays the title.
 *
 * ```ts
 * const fake = new OpenAiFake(); // or new GeminiFake()
 * const { baseUrl } = await fake.start();
 * fake.fail(429).reply('Hello!', { chunks: 4, delayMs: 50 }); // 1st request: 429, 2nd: "Hello!" in 4 SSE pieces
 * fake.hang(); fake.failMidStream(2);                         // then: no answer; then: 2 pieces and a cut
 * expect(fake.lastRequest?.body?.messages).toEqual([...]);
 * fake.reset(); await fake.stop();
 * ```
 */
export class FakeServer<Body> {
  readonly requests: RecordedRequest<Body>[] = [];
  readonly titleRequests: RecordedRequest<Body>[] = [];
  private readonly queue: FakeBehaviour[] = [];
  private fallback: FakeBehaviour = { type: 'reply' };
  private readonly titleQueue: FakeBehaviour[] = [];
  private titleFallback: FakeBehaviour = { type: 'reply' };
  private server: Server | undefined;

  constructor(private readonly wire: WireFormat<Body>) {}

  async start(): Promise<{ baseUrl: string }> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return { baseUrl: this.baseUrl };
  }

  /** `http://127.0.0.1:<port>`, once started. */
  get baseUrl(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error(`${this.wire.name} is not started`);
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Queues behaviours for the next requests, in order. */
  enqueue(...behaviours: FakeBehaviour[]): this {
    this.queue.push(...behaviours);
    return this;
  }

  /** The behaviour used when the queue is empty (initially a deterministic reply). */
  setDefault(behaviour: FakeBehaviour): this {
    this.fallback = behaviour;
    return this;
  }

  reply(text: string, options: ReplyOptions = {}): this {
    return this.enqueue({ type: 'reply', text, ...options });
  }

  fail(status: number, options: { message?: string; headers?: Record<string, string> } = {}): this {
    return this.enqueue({ type: 'error', status, ...options });
  }

  hang(): this {
    return this.enqueue({ type: 'hang' });
  }

  failMidStream(afterChunks: number, options: ReplyOptions & { text?: string } = {}): this {
    return this.enqueue({ type: 'failMidStream', afterChunks, ...options });
  }

  /** Streams `afterChunks` pieces, then an error event of `errorType` (a non-streamed request gets no answer). */
  errorMidStream(
    afterChunks: number,
    errorType: string,
    options: ReplyOptions & { text?: string; message?: string } = {},
  ): this {
    return this.enqueue({ type: 'errorEvent', afterChunks, errorType, ...options });
  }

  /** Queues behaviours for the next title requests, in order. */
  enqueueTitle(...behaviours: FakeBehaviour[]): this {
    this.titleQueue.push(...behaviours);
    return this;
  }

  /** The behaviour of title requests when their queue is empty (initially the question's first words). */
  setTitleDefault(behaviour: FakeBehaviour): this {
    this.titleFallback = behaviour;
    return this;
  }

  replyTitle(text: string, options: ReplyOptions = {}): this {
    return this.enqueueTitle({ type: 'reply', text, ...options });
  }

  /** Forgets recorded requests and queued behaviours and restores the default replies. */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
    this.fallback = { type: 'reply' };
    this.titleRequests.length = 0;
    this.titleQueue.length = 0;
    this.titleFallback = { type: 'reply' };
  }

  get lastRequest(): RecordedRequest<Body> | undefined {
    return this.requests.at(-1);
  }

  /** The reply used when a behaviour gives no text: `<name> reply to "<last user text>" (<turns> messages)`. */
  defaultReply(body: Body | undefined): string {
    const { lastUserText, turns } = this.wire.conversation(body);
    return `${this.wire.name} reply to "${lastUserText}" (${turns} messages)`;
  }

  /** The reply to a title request when a behaviour gives no text: the first question's first six words. */
  defaultTitle(body: Body | undefined): string {
    return this.wire.conversation(body).firstUserText.split(/\s+/).filter(Boolean).slice(0, 6).join(' ');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const raw = await readBody(req);
    const record: RecordedRequest<Body> = {
      method,
      path,
      headers: req.headers,
      body: undefined,
      rawBody: raw,
      closedEarly: false,
      closed: false,
      clientPort: req.socket.remotePort,
    };
    res.on('close', () => {
      record.closedEarly = !res.writableFinished;
      record.closed = true;
    });
    try {
      record.body = raw ? (JSON.parse(raw) as Body) : undefined;
    } catch {
      this.requests.push(record);
      return sendJson(res, 400, this.wire.errorBody(400, 'The request body is not valid JSON.'));
    }
    const body = record.body;
    const title = TITLE_INSTRUCTION.test(this.wire.conversation(body).system);
    (title ? this.titleRequests : this.requests).push(record);

    const route = this.wire.route(method, path, body);
    if (!route) return sendJson(res, 404, this.wire.errorBody(404, `No route for ${method} ${path}`));
    const refusal = this.wire.refuse?.(req.headers);
    if (refusal) return sendJson(res, refusal.status, this.wire.errorBody(refusal.status, refusal.message));

    const behaviour = title
      ? (this.titleQueue.shift() ?? this.titleFallback)
      : (this.queue.shift() ?? this.fallback);
    switch (behaviour.type) {
      case 'hang':
        return;
      case 'error':
        return sendJson(
          res,
          behaviour.status,
          this.wire.errorBody(behaviour.status, behaviour.message),
          behaviour.headers,
        );
      case 'reply':
      case 'failMidStream':
      case 'errorEvent': {
        const text = behaviour.text ?? (title ? this.defaultTitle(body) : this.defaultReply(body));
        const context = { model: route.model, body, text, continuousUsage: behaviour.continuousUsage };
        if (behaviour.hold) await behaviour.hold;
        const cutAfter = behaviour.type === 'reply' ? undefined : behaviour.afterChunks;
        const errorFrame =
          behaviour.type === 'errorEvent'
            ? this.wire.streamError?.(behaviour.errorType, behaviour.message)
            : undefined;
        if (route.stream) return this.streamReply(res, context, behaviour, cutAfter, errorFrame);
        if (cutAfter !== undefined) return void res.destroy();
        if (behaviour.delayMs) await delay(behaviour.delayMs);
        return sendJson(res, 200, this.wire.completion(context));
      }
    }
  }

  private async streamReply(
    res: ServerResponse,
    context: ReplyContext<Body>,
    options: ReplyOptions,
    cutAfter: number | undefined,
    errorFrame?: string,
  ): Promise<void> {
    const pieces = splitText(context.text, options.chunks ?? 3);
    const { chunks, tail } = this.wire.streamFrames(pieces, context);
    /** Ends the stream early: with the error event when there is one, else by cutting the connection. */
    const cut = async (): Promise<void> => {
      if (errorFrame === undefined) return void res.destroy();
      await write(res, errorFrame);
      res.end();
    };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const [index, frame] of chunks.entries()) {
      if (index === cutAfter) return cut();
      if (index > 0 && options.delayMs) await delay(options.delayMs);
      if (res.destroyed) return;
      await write(res, frame);
    }
    if (cutAfter !== undefined) return cut();
    for (const frame of tail) await write(res, frame);
    res.end();
  }
}

/** Splits text into at most `count` non-empty pieces of similar length, cutting after spaces when it can. */
export function splitText(text: string, count: number): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [];
  if (words.length === 0) return [text];
  const pieces: string[] = [];
  const perPiece = Math.ceil(words.length / Math.max(1, count));
  for (let i = 0; i < words.length; i += perPiece) pieces.push(words.slice(i, i + perPiece).join(''));
  return pieces;
}

/** A rough, deterministic token count for the fakes' usage figures. */
export function fakeTokens(value: unknown): number {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return Math.max(1, Math.ceil(text.length / 4));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Writes and waits until the frame is flushed, so a later `destroy()` cannot swallow it. */
function write(res: ServerResponse, frame: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    res.write(frame, () => resolve());
  });
}
