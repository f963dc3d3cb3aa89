import { HttpException } from '@nestjs/common';
import type { ErrorStyle } from '../common/error-style.js';
import type { StyledException } from '../common/exceptions.js';
import type { LlmError } from '../llm/llm-provider.js';

/**
 * The provider could not answer: 502 upstream error, 503 rate limited or not configured, 504 timeout.
 * `sessionId`: the session the failed turn is stored in (perhaps created by this request).
 */
export class ProviderFailedException extends HttpException implements StyledException {
  /** The provider's failure, its API key masked (LlmErrorFactory): the client is told why. */
  readonly publicDetail = true;

  constructor(
    readonly llmError: LlmError,
    readonly sessionId: string,
  ) {
    super(llmError.message, llmError.httpStatus);
  }

  bodyFor(style: ErrorStyle): Record<string, unknown> | undefined {
    return style === 'problem' ? undefined : { error: this.llmError.message };
  }
}
