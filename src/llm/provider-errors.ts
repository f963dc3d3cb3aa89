import { LlmError, type LlmErrorKind, type LlmProviderName } from './llm-provider.js';

const MAX_DETAIL_LENGTH = 300;
/** Shapes of OpenAI (`sk-…`) and Google (`AIza…`) API keys, in case an upstream message echoes one. */
const KEY_LIKE = /\b(sk-[A-Za-z0-9_*-]{6,}|AIza[A-Za-z0-9_-]{20,})/g;

/** An upstream error message fit for logs and clients: the API key and key-like strings masked, length capped. */
export function safeDetail(message: string, apiKey?: string): string {
  const masked = (apiKey ? message.split(apiKey).join('***') : message).replace(KEY_LIKE, '***');
  const detail = masked.replace(/\s+/g, ' ').trim();
  return detail.length > MAX_DETAIL_LENGTH ? `${detail.slice(0, MAX_DETAIL_LENGTH)}…` : detail;
}

/** Builds one provider's {@link LlmError}s, keeping its API key out of their messages. */
export class LlmErrorFactory {
  constructor(
    private readonly provider: LlmProviderName,
    private readonly apiKey?: string,
  ) {}

  /** `summary`, followed by the (masked) message of `cause` when there is one. */
  create(kind: LlmErrorKind, summary: string, cause?: unknown): LlmError {
    if (cause === undefined) return new LlmError(kind, summary, this.provider);
    const message = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : '';
    const detail = safeDetail(message, this.apiKey);
    return new LlmError(kind, detail ? `${summary}: ${detail}` : summary, this.provider);
  }
}
