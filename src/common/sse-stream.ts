import type { FastifyReply } from 'fastify';

const HEARTBEAT_MS = 15_000;
/**
 * Bytes a client may leave unread in the server's buffer (beyond the kernel's socket buffers) before it
 * is dropped. A live client keeps up with a model's output; one this far behind has stopped reading.
 */
export const SSE_MAX_UNREAD_BYTES = 64 * 1024;
/** How long an ended stream may wait for the client to take its last bytes before the socket is closed. */
const END_GRACE_MS = 30_000;

/**
 * A Server-Sent Events response over Fastify's raw socket: numbered events (`id:` increasing, from 1
 * unless the events come numbered),
 * a comment heartbeat every 15 s, proxy buffering off. Writes after the client has gone are dropped,
 * so the work behind the stream can run to its end regardless.
 *
 * Backpressure: a client that stops reading is dropped once SSE_MAX_UNREAD_BYTES wait in Node's buffer
 * for it, rather than the server holding the rest of the answer for it (the answer is still generated
 * and stored; the client can read it back). Pausing the deltas until 'drain' would keep the connection,
 * but its last event, the completed answer, would still sit whole in the buffer of a client that never
 * reads; a bounded buffer, then a closed socket, bounds both.
 */
export class SseStream {
  private nextId = 1;
  private heartbeat?: NodeJS.Timeout;
  private readonly gone = new AbortController();

  constructor(private readonly reply: FastifyReply) {
    reply.raw.once('close', () => this.gone.abort());
  }

  /** Aborted once the connection has closed (the client went away, or the stream ended). */
  get closed(): AbortSignal {
    return this.gone.signal;
  }

  get clientGone(): boolean {
    return this.reply.raw.destroyed || this.reply.raw.writableEnded;
  }

  open(): void {
    this.reply.hijack();
    const headers = {
      ...(this.reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    };
    this.reply.raw.writeHead(200, headers);
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  send(event: string, data: unknown): void {
    this.write(`id: ${this.nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Sends a bare `data:` event, as OpenAI's streams do (no id, no event name); `json` is already JSON. */
  sendData(json: string): void {
    this.write(`data: ${json}\n\n`);
  }

  /** Sends an event numbered elsewhere (an answer's log), its data already JSON; later events follow its id. */
  sendNumbered(id: number, event: string, json: string): void {
    this.nextId = id + 1;
    this.write(`id: ${id}\nevent: ${event}\ndata: ${json}\n\n`);
  }

  end(): void {
    clearInterval(this.heartbeat);
    if (this.clientGone) return;
    const raw = this.reply.raw;
    raw.end();
    if (raw.writableFinished) return;
    const timer = setTimeout(() => raw.destroy(), END_GRACE_MS).unref();
    raw.once('finish', () => clearTimeout(timer));
  }

  private write(chunk: string): void {
    if (this.clientGone) return;
    if (this.reply.raw.writableLength > SSE_MAX_UNREAD_BYTES) this.reply.raw.destroy();
    else this.reply.raw.write(chunk);
  }
}
