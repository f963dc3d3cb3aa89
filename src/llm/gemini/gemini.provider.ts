import {
  type Content,
  type EnhancedGenerateContentResponse,
  type GenerateContentRequest,
  type GenerativeModel,
  GoogleGenerativeAI,
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIError,
  GoogleGenerativeAIFetchError,
  GoogleGenerativeAIRequestInputError,
  GoogleGenerativeAIResponseError,
  type UsageMetadata,
} from '@google/generative-ai';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Deadline, streamUnderDeadline, underDeadline } from '../deadline.js';
import type { LlmProvider, LlmRequest, LlmResult, LlmStreamEvent, LlmUsage } from '../llm-provider.js';
import { GEMINI_MODEL_NAME } from '../model-name.js';
import { LlmErrorFactory } from '../provider-errors.js';

export interface GeminiProviderOptions {
  apiKey: string;
  /** The API origin, e.g. `https://generativelanguage.googleapis.com` (the SDK adds `/v1beta/models/…`). */
  baseUrl?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
}

const FIRST_RETRY_DELAY_MS = 200;
const MAX_RETRY_DELAY_MS = 3_000;

/** Delay before retry number `attempt + 1`: 200 ms, 400 ms, 800 ms, … capped at 3 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(FIRST_RETRY_DELAY_MS * 2 ** attempt, MAX_RETRY_DELAY_MS);
}

/**
 * Google Gemini through `@google/generative-ai`. The SDK does not retry and its own timeout timer is
 * never cleared (it would also cut long streams), so this class does both: up to `maxRetries` retries
 * of 429, 5xx and network failures (for a stream, only before its first chunk), and `timeoutMs` bounds
 * the wait for an answer (retries included) and, while streaming, the silence between two chunks.
 * A caller's abort is rethrown as the signal's reason; every other failure becomes an LlmError.
 */
export class GeminiProvider implements LlmProvider {
  readonly name = 'gemini' as const;
  readonly defaultModel: string;
  private readonly client: GoogleGenerativeAI;
  private readonly errors: LlmErrorFactory;

  constructor(private readonly options: GeminiProviderOptions) {
    this.defaultModel = options.model;
    this.errors = new LlmErrorFactory('gemini', options.apiKey);
    this.client = new GoogleGenerativeAI(options.apiKey);
  }

  complete(request: LlmRequest, signal: AbortSignal): Promise<LlmResult> {
    return underDeadline(
      this.options.timeoutMs,
      signal,
      async (deadline) => {
        const options = { signal: deadline.signal };
        const { response } = await this.withRetries(deadline, () =>
          this.model(request).generateContent(toGeminiRequest(request), options),
        );
        return {
          text: response.text(), // throws a GoogleGenerativeAIResponseError when the answer was blocked
          model: modelVersion(response) ?? request.model ?? this.defaultModel,
          usage: toUsage(response.usageMetadata),
          finishReason: response.candidates?.[0]?.finishReason ?? null,
        };
      },
      (error, deadline) => this.failure(error, signal, deadline),
    );
  }

  stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmStreamEvent> {
    return streamUnderDeadline(
      this.options.timeoutMs,
      signal,
      {
        model: request.model ?? this.defaultModel,
        open: async (deadline) => {
          // Opening the stream and reading its first chunk is one attempt: retried as a whole.
          const options = { signal: deadline.signal };
          const { chunks, first } = await this.withRetries(deadline, async () => {
            const { stream, response } = await this.model(request).generateContentStream(
              toGeminiRequest(request),
              options,
            );
            response.catch(() => undefined); // the SDK's aggregate of the stream; unused, must not reject unhandled
            return { chunks: stream, first: await stream.next() };
          });
          return withFirst(first, chunks);
        },
        read: (chunk, result) => {
          result.model = modelVersion(chunk) ?? result.model;
          result.usage = toUsage(chunk.usageMetadata) ?? result.usage;
          result.finishReason = chunk.candidates?.[0]?.finishReason ?? result.finishReason;
          return chunk.text();
        },
      },
      (error, deadline) => this.failure(error, signal, deadline),
    );
  }

  private model(request: LlmRequest): GenerativeModel {
    const model = request.model ?? this.defaultModel;
    // also checked where a model is accepted; a stored name must not change the URL path either
    if (!GEMINI_MODEL_NAME.test(model)) throw new GoogleGenerativeAIRequestInputError('Invalid model name');
    const baseUrl = this.options.baseUrl?.replace(/\/+$/, '');
    return this.client.getGenerativeModel({ model }, baseUrl ? { baseUrl } : {});
  }

  /** Runs `attempt`, retrying transient failures after a short backoff while the deadline allows. */
  private async withRetries<T>(deadline: Deadline, attempt: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        if (retry >= this.options.maxRetries || deadline.signal.aborted || !isTransient(error)) throw error;
      }
      await sleep(retryDelayMs(retry), undefined, { signal: deadline.signal });
    }
  }

  private failure(error: unknown, signal: AbortSignal, deadline: Deadline): unknown {
    if (signal.aborted) return signal.reason;
    if (deadline.expired) {
      return this.errors.create('timeout', `Gemini did not answer within ${this.options.timeoutMs} ms`);
    }
    const status = error instanceof GoogleGenerativeAIFetchError ? error.status : undefined;
    if (status === 429)
      return this.errors.create('rate_limited', 'Gemini rate limit reached (HTTP 429)', error);
    const summary = status ? `Gemini request failed (HTTP ${status})` : 'Gemini request failed';
    return this.errors.create('upstream', summary, error);
  }
}

function toGeminiRequest(request: LlmRequest): GenerateContentRequest {
  const { system, messages, maxTokens, temperature, topP, stop } = request;
  const contents = messages.map(({ role, content }): Content => ({
    role: role === 'assistant' ? 'model' : 'user',
    parts: [{ text: content }],
  }));
  const base: GenerateContentRequest = { contents, ...(system ? { systemInstruction: system } : {}) };
  const generationConfig = {
    ...(maxTokens ? { maxOutputTokens: maxTokens } : {}),
    ...(temperature === undefined ? {} : { temperature }),
    ...(topP === undefined ? {} : { topP }),
    ...(stop?.length ? { stopSequences: stop } : {}),
  };
  return Object.keys(generationConfig).length > 0 ? { ...base, generationConfig } : base;
}

/** The stream again from its start: its first chunk, already read (within a retried attempt), then the rest. */
async function* withFirst<T>(first: IteratorResult<T>, rest: AsyncGenerator<T>): AsyncGenerator<T> {
  if (first.done) return;
  yield first.value;
  yield* rest;
}

/** 429, 5xx and network failures; not 4xx, bad input, blocked answers, or aborts. */
function isTransient(error: unknown): boolean {
  if (error instanceof GoogleGenerativeAIFetchError) {
    return error.status === undefined || error.status === 429 || error.status >= 500;
  }
  if (
    error instanceof GoogleGenerativeAIAbortError ||
    error instanceof GoogleGenerativeAIRequestInputError ||
    error instanceof GoogleGenerativeAIResponseError
  ) {
    return false;
  }
  return error instanceof GoogleGenerativeAIError || error instanceof TypeError;
}

/** Gemini reports the model version answering (not in the SDK's types). */
function modelVersion(response: EnhancedGenerateContentResponse): string | undefined {
  const { modelVersion } = response as { modelVersion?: unknown };
  return typeof modelVersion === 'string' && modelVersion ? modelVersion : undefined;
}

function toUsage(usage: UsageMetadata | undefined): LlmUsage | null {
  return usage
    ? { promptTokens: usage.promptTokenCount ?? 0, completionTokens: usage.candidatesTokenCount ?? 0 }
    : null;
}
