import OpenAI, { APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletionMessageParam, CompletionUsage } from 'openai/resources';
import { Deadline } from '../deadline.js';
import type { LlmProvider, LlmRequest, LlmResult, LlmStreamEvent, LlmUsage } from '../llm-provider.js';
import { errorMessage, llmError } from '../provider-errors.js';

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
 * OpenAI (and OpenAI-compatible) chat completions through the official SDK, which does its own
 * retries (429, 5xx, connection errors) and request timeout. While streaming, a silence of more
 * than `timeoutMs` between chunks also counts as a timeout.
 * A caller's abort is rethrown as the signal's reason; every other failure becomes an LlmError.
 */
export class OpenAiProvider implements LlmProvider {
  readonly name = 'openai' as const;
  readonly defaultModel: string;
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAiProviderOptions) {
    this.defaultModel = options.model;
    this.client = new OpenAI({
      apiKey: options.apiKey ?? 'not-needed',
      baseURL: options.baseUrl,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
    });
  }

  async complete(request: LlmRequest, signal: AbortSignal): Promise<LlmResult> {
    try {
      const completion = await this.client.chat.completions.create(
        { model: request.model ?? this.defaultModel, messages: toOpenAiMessages(request) },
        { signal },
      );
      const choice = completion.choices[0];
      return {
        text: choice?.message.content ?? '',
        model: completion.model,
        usage: toUsage(completion.usage),
        finishReason: choice?.finish_reason ?? null,
      };
    } catch (error) {
      throw this.failure(error, signal);
    }
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmStreamEvent> {
    const silence = new Deadline(this.options.timeoutMs, signal);
    const result: LlmResult = { text: '', model: request.model ?? this.defaultModel, usage: null, finishReason: null };
    try {
      const chunks = await this.client.chat.completions.create(
        {
          model: result.model,
          messages: toOpenAiMessages(request),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: silence.signal },
      );
      silence.arm();
      for await (const chunk of chunks) {
        silence.disarm();
        result.model = chunk.model || result.model;
        result.usage = toUsage(chunk.usage) ?? result.usage;
        const choice = chunk.choices[0];
        result.finishReason = choice?.finish_reason ?? result.finishReason;
        const text = choice?.delta.content;
        if (text) {
          result.text += text;
          yield { type: 'delta', text };
        }
        silence.arm();
      }
      yield { type: 'done', ...result };
    } catch (error) {
      throw this.failure(error, signal, silence);
    } finally {
      silence.release();
    }
  }

  private failure(error: unknown, signal: AbortSignal, silence?: Deadline): unknown {
    if (signal.aborted) return signal.reason;
    const { apiKey, timeoutMs } = this.options;
    if (error instanceof APIConnectionTimeoutError || silence?.expired) {
      return llmError('openai', 'timeout', `OpenAI did not answer within ${timeoutMs} ms`, undefined, apiKey);
    }
    if (error instanceof APIError && error.status === 429) {
      return llmError('openai', 'rate_limited', 'OpenAI rate limit reached (HTTP 429)', error.message, apiKey);
    }
    const summary =
      error instanceof APIError && error.status ? `OpenAI request failed (HTTP ${error.status})` : 'OpenAI request failed';
    return llmError('openai', 'upstream', summary, errorMessage(error), apiKey);
  }
}

function toOpenAiMessages({ system, messages }: LlmRequest): ChatCompletionMessageParam[] {
  const conversation = messages.map(({ role, content }): ChatCompletionMessageParam => ({ role, content }));
  return system ? [{ role: 'system', content: system }, ...conversation] : conversation;
}

function toUsage(usage: CompletionUsage | null | undefined): LlmUsage | null {
  return usage ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens } : null;
}
