import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { GenerationSettings } from '../config/app-config.js';
import {
  FINAL_EVENTS,
  GenerationEvents,
  type GenerationEvent,
  type GenerationWriter,
} from './generation-events.js';
import { InMemoryGenerationEvents } from './in-memory-generation-events.js';

const STOP_CHANNEL = 'chatbot:generation-stop';
const keyOf = (answerId: string): string => `chatbot:generation:${answerId}`;
/** How long the log of an answer whose instance died stays in Redis (no answer takes this long). */
const UNFINISHED_TTL_MS = 60 * 60 * 1000;
/** How long an ended answer's events stay in this instance's memory as well (see the constructor). */
const LOCAL_RETAIN_MS = 5_000;
/** How long a reader blocks on XREAD before checking that the log still exists. */
const READ_BLOCK_MS = 2_000;

/**
 * {@link GenerationEvents} across instances: each answer's events go to a Redis Stream (XADD with ids
 * `0-<event id>`, MAXLEN ~ the bound, an expiry once the answer ends) that a resume on any instance reads
 * (XREAD BLOCK from the last id it has); a stop request is published on one channel that every instance
 * subscribes to, and the instance generating the answer aborts it. The instance that generates an answer
 * also keeps its log in memory, so that its own streams never wait on Redis.
 */
export class RedisGenerationEvents extends GenerationEvents implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisGenerationEvents.name);
  private readonly memory: InMemoryGenerationEvents;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly readers = new Set<Redis>();
  private warned = false;

  constructor(
    url: string,
    private readonly settings: GenerationSettings,
  ) {
    super();
    // Once an answer ends, its Redis Stream serves resumes: the copy in memory need not outlive the last
    // live reader by much, and memory is the scarcer of the two on a busy instance.
    this.memory = new InMemoryGenerationEvents({
      ...settings,
      retainMs: Math.min(settings.retainMs, LOCAL_RETAIN_MS),
    });
    this.redis = new Redis(url, { maxRetriesPerRequest: 1 });
    this.redis.on('error', (error: Error) => this.warn(error));
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('error', (error: Error) => this.warn(error));
    this.subscriber.on('message', (_channel: string, message: string) => {
      this.memory.stopLocal(JSON.parse(message) as string[]);
    });
    void this.subscriber.subscribe(STOP_CHANNEL).catch((error: unknown) => this.warn(error));
  }

  open(answerId: string, onStop: () => void): GenerationWriter {
    const local = this.memory.open(answerId, onStop);
    const key = keyOf(answerId);
    return {
      append: (event, data) => {
        const stored = local.append(event, data);
        // Commands on one connection run in order: no MULTI needed (it tripled the commands a delta).
        const id = `0-${stored.id}`;
        this.redis
          .xadd(key, 'MAXLEN', '~', this.settings.maxEvents, id, 'e', event, 'd', stored.data)
          .catch((error: unknown) => this.warn(error));
        if (stored.id === 1)
          this.redis.pexpire(key, UNFINISHED_TTL_MS).catch((error: unknown) => this.warn(error));
        return stored;
      },
      end: () => {
        local.end();
        this.redis.pexpire(key, this.settings.retainMs).catch((error: unknown) => this.warn(error));
      },
    };
  }

  async follow(
    answerId: string,
    afterId: number,
    signal: AbortSignal,
  ): Promise<AsyncIterable<GenerationEvent> | null> {
    const local = this.memory.local(answerId);
    if (local) return local.follow(afterId, signal);
    if (!(await this.redis.exists(keyOf(answerId)))) return null;
    return this.read(keyOf(answerId), afterId, signal);
  }

  async requestStop(answerIds: string[]): Promise<void> {
    if (answerIds.length === 0) return;
    this.memory.stopLocal(answerIds);
    await this.redis.publish(STOP_CHANNEL, JSON.stringify(answerIds));
  }

  async interrupt(answerId: string, event: string, data: unknown): Promise<void> {
    await this.memory.interrupt(answerId, event, data);
    const key = keyOf(answerId);
    const [last] = await this.redis.xrevrange(key, '+', '-', 'COUNT', 1);
    if (!last || FINAL_EVENTS.has(last[1][1])) return;
    const id = Number(last[0].split('-')[1]) + 1;
    await this.redis
      .multi()
      .xadd(key, `0-${id}`, 'e', event, 'd', JSON.stringify(data))
      .pexpire(key, this.settings.retainMs)
      .exec();
  }

  /**
   * After `beforeApplicationShutdown`, when the answers in flight have ended (ShutdownSignal), not in
   * `onModuleDestroy`, which runs before it. QUIT, not a disconnect: their final events may still be on
   * their way, and resumes on other instances wait for them.
   */
  async onApplicationShutdown(): Promise<void> {
    for (const reader of this.readers) reader.disconnect();
    this.subscriber.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Reads a stream from after `afterId` to its final event on a connection of its own (XREAD BLOCK holds it). */
  private async *read(key: string, afterId: number, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    const reader = this.redis.duplicate();
    reader.on('error', () => undefined);
    this.readers.add(reader);
    const onAbort = () => reader.disconnect();
    signal.addEventListener('abort', onAbort, { once: true });
    let last = afterId;
    try {
      while (!signal.aborted) {
        const batch = await reader.xread('COUNT', 1000, 'BLOCK', READ_BLOCK_MS, 'STREAMS', key, `0-${last}`);
        if (!batch) {
          if (!(await this.redis.exists(key))) return; // expired: the answer ended long ago
          continue;
        }
        for (const [entryId, fields] of batch[0][1]) {
          const id = Number(entryId.split('-')[1]);
          if (id !== last + 1) return; // trimmed (MAXLEN) before this reader got there: never skip silently
          last = id;
          const event: GenerationEvent = { id: last, event: fields[1], data: fields[3] };
          yield event;
          if (FINAL_EVENTS.has(event.event)) return;
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.readers.delete(reader);
      reader.disconnect();
    }
  }

  private warn(error: unknown): void {
    if (this.warned) return;
    this.warned = true; // once: ioredis keeps reconnecting and would repeat it every second
    this.logger.warn({ err: error }, 'Redis is unavailable for generation events');
  }
}
