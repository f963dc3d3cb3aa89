import cluster from 'node:cluster';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import {
  RateLimiterAbstract,
  RateLimiterCluster,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { TooManyAttemptsException } from '../common/exceptions.js';

/**
 * In-memory counts: in a worker of HTTP_WORKERS, the primary's memory, asked over IPC, so that the
 * workers share one count (else each would allow the limit again).
 */
function inMemory(options: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract {
  return cluster.isWorker ? new RateLimiterCluster(options) : new RateLimiterMemory(options);
}

/**
 * Counts failed logins per account and per client address (rate-limiter-flexible: in memory, or in
 * Redis when REDIS_URL is set, falling back to memory if Redis is unreachable). Past the limit, every
 * attempt is refused with 429 and Retry-After until the window ends; a success clears the account's count.
 */
@Injectable()
export class LoginLimiter implements OnModuleDestroy {
  private readonly limiter: RateLimiterAbstract;
  private readonly redis?: Redis;
  private readonly maxFailures: number;

  constructor(config: AppConfig) {
    const { maxFailures, windowSeconds } = config.loginLimit;
    this.maxFailures = maxFailures;
    const options = { keyPrefix: 'login-failures', points: maxFailures, duration: windowSeconds };
    if (config.redisUrl) {
      this.redis = new Redis(config.redisUrl, {
        enableOfflineQueue: false,
        lazyConnect: false,
        maxRetriesPerRequest: 1,
      });
      this.redis.on('error', () => undefined); // the insurance limiter takes over; ioredis keeps reconnecting
      this.limiter = new RateLimiterRedis({
        ...options,
        storeClient: this.redis,
        insuranceLimiter: inMemory(options),
      });
    } else {
      this.limiter = inMemory(options);
    }
  }

  /** Throws 429 when the account or the address has used up its failures. */
  async assertAllowed(username: string, ip: string): Promise<void> {
    const states = await Promise.all(this.keys(username, ip).map((key) => this.limiter.get(key)));
    const blocked = states.filter(
      (s): s is RateLimiterRes => s !== null && s.consumedPoints >= this.maxFailures,
    );
    if (blocked.length > 0) {
      throw new TooManyAttemptsException(
        Math.max(1, Math.ceil(Math.max(...blocked.map((s) => s.msBeforeNext)) / 1000)),
      );
    }
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    await Promise.all(this.keys(username, ip).map((key) => this.limiter.penalty(key, 1)));
  }

  async recordSuccess(username: string): Promise<void> {
    await this.limiter.delete(this.accountKey(username));
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }

  private keys(username: string, ip: string): string[] {
    return [this.accountKey(username), `ip:${ip}`];
  }

  private accountKey(username: string): string {
    return `user:${username.toLowerCase()}`;
  }
}
