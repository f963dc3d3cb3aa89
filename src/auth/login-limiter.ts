import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { TooManyAttemptsException } from '../common/exceptions.js';
import { storedLimiter, type StoredLimiter } from '../common/rate-limiter-store.js';

/**
 * Counts failed logins per account and per client address (rate-limiter-flexible: in memory, or in
 * Redis when REDIS_URL is set, falling back to memory if Redis is unreachable). Past the limit, every
 * attempt is refused with 429 and Retry-After until the window ends; a success clears the account's count.
 */
@Injectable()
export class LoginLimiter implements OnModuleDestroy {
  private readonly store: StoredLimiter;
  private readonly maxFailures: number;

  constructor(config: AppConfig) {
    const { maxFailures, windowSeconds } = config.loginLimit;
    this.maxFailures = maxFailures;
    this.store = storedLimiter(config.redisUrl, {
      keyPrefix: 'login-failures',
      points: maxFailures,
      duration: windowSeconds,
    });
  }

  /** Throws 429 when the account or the address has used up its failures. */
  async assertAllowed(username: string, ip: string): Promise<void> {
    const states = await Promise.all(this.keys(username, ip).map((key) => this.store.limiter.get(key)));
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
    await Promise.all(this.keys(username, ip).map((key) => this.store.limiter.penalty(key, 1)));
  }

  async recordSuccess(username: string): Promise<void> {
    await this.store.limiter.delete(this.accountKey(username));
  }

  onModuleDestroy(): void {
    this.store.close();
  }

  private keys(username: string, ip: string): string[] {
    return [this.accountKey(username), `ip:${ip}`];
  }

  private accountKey(username: string): string {
    return `user:${username.toLowerCase()}`;
  }
}
