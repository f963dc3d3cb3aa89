import { LlmError, type LlmErrorKind, type LlmProviderName } from './llm-provider.js';

const MAX_DETAIL_LENGTH = 300;
/** Shapes of OpenAI (`sk-…`) and Google (`AIza…`) API keys, in case an upstream message echoes one. */
const KEY_LIKE = /\b(sk-[A-Za-z0-9_*.-]{6,}|AIza[A-Za-z0-9_-]{20,})/g;

/** An upstream error message fit for logs and clients: the API key and key-like strings masked, length capped. */
export function safeDetail(message: string, apiKey?: string): string {
  let detail = apiKey ? message.split(apiKey).join('***') : message;
  detail = detail.replace(KEY_LIKE, '***').replace(/\s+/g, ' ').trim();
  return detail.length > MAX_DETAIL_LENGTH ? `${detail.slice(0, MAX_DETAIL_LENGTH)}…` : detail;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Builds the {@link LlmError} a provider throws, its message made safe. */
export function llmError(
  provider: LlmProviderName,
  kind: LlmErrorKind,
  summary: string,
  detail: string | undefined,
  apiKey: string | undefined,
): LlmError {
  const message = detail ? `${summary}: ${safeDetail(detail, apiKey)}` : summary;
  return new LlmError(kind, message, provider);
}
