import cluster from 'node:cluster';
import { Redis } from 'ioredis';
import {
  type IRateLimiterOptions,
  RateLimiterAbstract,
  RateLimiterCluster,
  RateLimiterMemory,
  RateLimiterRedis,
} from 'rate-limiter-flexible';

/** A rate-limiter-flexible limiter and what must be closed with it. */
export interface StoredLimiter {
  limiter: RateLimiterAbstract;
  close(): void;
}

type LimiterOptions = Required<Pick<IRateLimiterOptions, 'keyPrefix' | 'points' | 'duration'>>;

/**
 * In-memory counts: in a worker of HTTP_WORKERS, the primary's memory, asked over IPC, so that the
 * workers share one count (else each would allow the limit again).
 */
function inMemory(options: LimiterOptions): RateLimiterAbstract {
  return cluster.isWorker ? new RateLimiterCluster(options) : new RateLimiterMemory(options);
}

/**
 * Counts kept in Redis when `redisUrl` is set (shared by every instance), falling back to memory while
 * Redis is unreachable; else in memory.
 */
export function storedLimiter(redisUrl: string | undefined, options: LimiterOptions): StoredLimiter {
  if (!redisUrl) return { limiter: inMemory(options), close: () => undefined };
  const redis = new Redis(redisUrl, {
    enableOfflineQueue: false,
    lazyConnect: false,
    maxRetriesPerRequest: 1,
  });
  redis.on('error', () => undefined); // the insurance limiter takes over; ioredis keeps reconnecting
  const limiter = new RateLimiterRedis({
    ...options,
    storeClient: redis,
    insuranceLimiter: inMemory(options),
  });
  return { limiter, close: () => redis.disconnect() };
}
