import { HttpException, HttpStatus } from '@nestjs/common';
import type { ErrorStyle } from '../common/error-style.js';
import type { StyledException } from '../common/exceptions.js';

export type BudgetName = 'daily' | 'monthly';

/** RFC 9457 `type` of a turn refused by a token budget (a URI reference, resolved against the server). */
export const QUOTA_EXCEEDED_TYPE = '/problems/quota-exceeded';

/**
 * A turn refused because its user has used up a token budget: 429 with `Retry-After` until the budget's
 * window resets. Problem details name the budget, its limit and its use; the seed routes get their chat
 * errors' shape, `{"error": …}`.
 */
export class QuotaExceededException extends HttpException implements StyledException {
  readonly openAiCode = 'insufficient_quota';

  constructor(
    readonly budget: BudgetName,
    readonly limit: number,
    readonly used: number,
    readonly resetsAt: Date,
  ) {
    super(
      `The ${budget} token budget is used up: ${used} of ${limit} tokens. It resets at ${resetsAt.toISOString()}.`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }

  headers(): Record<string, string> {
    return { 'retry-after': String(Math.max(1, Math.ceil((this.resetsAt.getTime() - Date.now()) / 1000))) };
  }

  problemType(): { type: string; members: Record<string, unknown> } {
    return {
      type: QUOTA_EXCEEDED_TYPE,
      members: {
        budget: this.budget,
        limit: this.limit,
        used: this.used,
        resets_at: this.resetsAt.toISOString(),
      },
    };
  }

  bodyFor(style: ErrorStyle): Record<string, unknown> | undefined {
    return style === 'problem' ? undefined : { error: this.message };
  }
}
