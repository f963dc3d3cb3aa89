import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { BudgetsService } from './budgets.service.js';
import { ChatRateLimiter } from './chat-rate-limiter.js';

/**
 * Whether a caller may start a turn now: the rate limit, then the token budgets (429 otherwise). In that
 * order: a turn refused for a budget still counts against the minute, so the limit bounds the budget reads
 * a user over budget can cause.
 */
@Injectable()
export class TurnAdmission {
  constructor(
    private readonly rateLimiter: ChatRateLimiter,
    private readonly budgets: BudgetsService,
  ) {}

  async admit(caller: AuthUser): Promise<void> {
    await this.rateLimiter.consume(caller);
    await this.budgets.assertWithinBudgets(caller);
  }
}
