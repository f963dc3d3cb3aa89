import type { FastifyReply } from 'fastify';

const HEARTBEAT_MS = 15_000;

/**
 * A Server-Sent Events response over Fastify's raw socket: numbered events (`id:` increasing from 1),
 * a comment heartbeat every 15 s, proxy buffering off. Writes after the client has gone are dropped,
 * so the work behind the stream can run to its end regardless.
 */
export class SseStream {
  private nextId = 1;
  private heartbeat?: NodeJS.Timeout;

  constructor(private readonly reply: FastifyReply) {}

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

  end(): void {
    clearInterval(this.heartbeat);
    if (!this.clientGone) this.reply.raw.end();
  }

  private write(chunk: string): void {
    if (!this.clientGone) this.reply.raw.write(chunk);
  }
}
