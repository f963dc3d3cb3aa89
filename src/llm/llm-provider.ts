import type { LlmProviderName } from '../config/app-config.js';

export type { LlmProviderName };

export interface LlmMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

export interface LlmRequest {
  /** The model to use; the provider's configured default when omitted. */
  model?: string;
  /** The session's system prompt, when it has one. */
  system?: string;
  /** The conversation, oldest first, ending with the user's new message. */
  messages: LlmMessage[];
  /** The longest answer wanted, in tokens; the model's own limit when omitted. */
  maxTokens?: number;
  /**
   * Sampling, set only by the OpenAI-compatible gateway (chat turns leave them unset: the model's
   * defaults). Anthropic ignores temperature and topP: its current API version may refuse them.
   */
  temperature?: number;
  topP?: number;
  /** Sequences that end the answer when the model writes them. */
  stop?: string[];
  /**
   * What the answer is for: a turn of the conversation (the default), or a title for it. A title request
   * holds the conversation's first question and answer, then asks for at most {@link TITLE_WORDS} words;
   * echo answers it with the question's first words.
   */
  purpose?: 'chat' | 'title';
}

/** The most words a session's title has. */
export const TITLE_WORDS = 6;

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface LlmResult {
  text: string;
  model: string;
  usage: LlmUsage | null;
  finishReason: string | null;
}

/**
 * One piece of a streamed answer. The last event of a stream is always `done`. A `usage` event comes
 * before the `delta` of a chunk that brought the provider's token counts (Anthropic's first, Gemini's every,
 * OpenAI's last): the answer so far, with them, so that an answer that then fails or is stopped keeps them.
 */
export type LlmStreamEvent =
  { type: 'delta'; text: string } | ({ type: 'usage' } & LlmResult) | ({ type: 'done' } & LlmResult);

/**
 * The one boundary to language models. Implementations wrap an SDK (or none, for echo) and turn
 * every failure into an {@link LlmError}. Both methods honour the AbortSignal.
 */
export interface LlmProvider {
  readonly name: LlmProviderName;
  readonly defaultModel: string;
  complete(request: LlmRequest, signal: AbortSignal): Promise<LlmResult>;
  stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmStreamEvent>;
}

/**
 * Why a provider call failed; maps to 502 (upstream), 503 (rate limited, overloaded, not configured,
 * interrupted by shutdown), 504 (timeout).
 */
export type LlmErrorKind =
  'upstream' | 'rate_limited' | 'overloaded' | 'not_configured' | 'timeout' | 'interrupted';

export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly provider: LlmProviderName,
  ) {
    super(message);
  }

  get httpStatus(): 502 | 503 | 504 {
    switch (this.kind) {
      case 'upstream':
        return 502;
      case 'rate_limited':
      case 'overloaded':
      case 'not_configured':
      case 'interrupted':
        return 503;
      case 'timeout':
        return 504;
    }
  }
}
