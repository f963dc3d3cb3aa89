import OpenAI, { APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletionMessageParam, CompletionUsage } from 'openai/resources';
import { type Deadline, streamUnderDeadline, underDeadline } from '../deadline.js';
import type { LlmProvider, LlmRequest, LlmResult, LlmStreamEvent, LlmUsage } from '../llm-provider.js';
import { LlmErrorFactory } from '../provider-errors.js';

export interface OpenAiProviderOptions {
  /** Optional for OpenAI-compatible servers that need none. */
  apiKey?: string;
  /** e.g. `https://api.openai.com/v1` (the SDK's default) or an OpenAI-compatible server's `/v1`. */
  baseUrl?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
}

/**
 * OpenAI (and OpenAI-compatible) chat completions through the official SDK, on its own fetch (Node's,
 * which keeps connections alive), which retries 429, 5xx and connection errors itself. `timeoutMs` bounds the wait for an answer (retries included) and,
 * while streaming, the silence between two chunks.
 * A caller's abort is rethrown as the signal's reason; every other failure becomes an LlmError.
 */
export class OpenAiProvider implements LlmProvider {
  readonly name = 'openai' as const;
  readonly defaultModel: string;
  private readonly client: OpenAI;
  private readonly errors: LlmErrorFactory;

  constructor(private readonly options: OpenAiProviderOptions) {
    this.defaultModel = options.model;
    this.errors = new LlmErrorFactory('openai', options.apiKey);
    this.client = new OpenAI({
      apiKey: options.apiKey ?? 'not-needed',
      baseURL: options.baseUrl,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
    });
  }

  complete(request: LlmRequest, signal: AbortSignal): Promise<LlmResult> {
    return underDeadline(
      this.options.timeoutMs,
      signal,
      async (deadline) => {
        const completion = await this.client.chat.completions.create(
          {
            model: request.model ?? this.defaultModel,
            messages: toOpenAiMessages(request),
            ...generationParams(request),
          },
          { signal: deadline.signal },
        );
        const choice = completion.choices[0];
        return {
          text: choice?.message.content ?? '',
          model: completion.model,
          usage: toUsage(completion.usage),
          finishReason: choice?.finish_reason ?? null,
        };
      },
      (error, deadline) => this.failure(error, signal, deadline),
    );
  }

  stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmStreamEvent> {
    const model = request.model ?? this.defaultModel;
    return streamUnderDeadline(
      this.options.timeoutMs,
      signal,
      {
        model,
        open: (deadline) =>
          this.client.chat.completions.create(
            {
              model,
              messages: toOpenAiMessages(request),
              ...generationParams(request),
              stream: true,
              stream_options: { include_usage: true },
            },
            { signal: deadline.signal },
          ),
        read: (chunk, result) => {
          result.model = chunk.model || result.model;
          result.usage = toUsage(chunk.usage) ?? result.usage;
          const choice = chunk.choices[0];
          result.finishReason = choice?.finish_reason ?? result.finishReason;
          return choice?.delta.content;
        },
      },
      (error, deadline) => this.failure(error, signal, deadline),
    );
  }

  private failure(error: unknown, signal: AbortSignal, deadline: Deadline): unknown {
    if (signal.aborted) return signal.reason;
    if (deadline.expired || error instanceof APIConnectionTimeoutError) {
      return this.errors.create('timeout', `OpenAI did not answer within ${this.options.timeoutMs} ms`);
    }
    const status = error instanceof APIError && typeof error.status === 'number' ? error.status : undefined;
    if (status === 429)
      return this.errors.create('rate_limited', 'OpenAI rate limit reached (HTTP 429)', error);
    const summary = status ? `OpenAI request failed (HTTP ${status})` : 'OpenAI request failed';
    return this.errors.create('upstream', summary, error);
  }
}

/** An LlmMessage is a chat completion message already ({role, content}), so the turns are not copied. */
function toOpenAiMessages({ system, messages }: LlmRequest): ChatCompletionMessageParam[] {
  return system ? [{ role: 'system', content: system }, ...messages] : messages;
}

/** The limits and sampling a request sets; none when it sets none (the model's defaults). */
function generationParams({ maxTokens, temperature, topP, stop }: LlmRequest) {
  return {
    // max_tokens rather than max_completion_tokens: every OpenAI-compatible server reads it
    ...(maxTokens ? { max_tokens: maxTokens } : {}),
    ...(temperature === undefined ? {} : { temperature }),
    ...(topP === undefined ? {} : { top_p: topP }),
    ...(stop?.length ? { stop } : {}),
  };
}

function toUsage(usage: CompletionUsage | null | undefined): LlmUsage | null {
  return usage ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens } : null;
}
