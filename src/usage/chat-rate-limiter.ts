import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { AuthUser } from '../auth/auth-user.js';
import { AppConfig } from '../config/app-config.js';
import { TooManyAttemptsException } from '../common/exceptions.js';
import { storedLimiter, type StoredLimiter } from '../common/rate-limiter-store.js';

/**
 * At most CHAT_RATE_LIMIT turns per user per minute (a fixed one-minute window), counted where the
 * login limits are: in Redis when REDIS_URL is set (shared by every instance), else in memory.
 * Admins are exempt; CHAT_RATE_LIMIT=0 turns the limit off.
 */
@Injectable()
export class ChatRateLimiter implements OnModuleDestroy {
  private readonly store: StoredLimiter | null;

  constructor(private readonly config: AppConfig) {
    const points = config.chatRateLimit;
    this.store =
      points > 0 ? storedLimiter(config.redisUrl, { keyPrefix: 'chat-turns', points, duration: 60 }) : null;
  }

  /** Counts a turn of the caller; 429 with Retry-After once the minute's turns are used up. */
  async consume(caller: AuthUser): Promise<void> {
    if (!this.store || caller.role === 'admin') return;
    try {
      await this.store.limiter.consume(caller.id);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new TooManyAttemptsException(
        seconds,
        `Too many messages: at most ${this.config.chatRateLimit} a minute. Try again in ${seconds} s.`,
      );
    }
  }

  onModuleDestroy(): void {
    this.store?.close();
  }
}
