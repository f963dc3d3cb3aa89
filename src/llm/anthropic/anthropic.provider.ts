import Anthropic, { APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import type {
  MessageCreateParamsNonStreaming,
  MessageDeltaUsage,
  StopReason,
  Usage,
} from '@anthropic-ai/sdk/resources/messages';
import { type Deadline, streamUnderDeadline, underDeadline } from '../deadline.js';
import type { LlmProvider, LlmRequest, LlmResult, LlmStreamEvent, LlmUsage } from '../llm-provider.js';
import { LlmErrorFactory } from '../provider-errors.js';

export interface AnthropicProviderOptions {
  apiKey: string;
  /** The API origin, e.g. `https://api.anthropic.com` (the SDK's default; it adds `/v1/messages`). */
  baseUrl?: string;
  model: string;
  /** `max_tokens` of a request that sets no limit of its own: the Messages API requires one. */
  maxTokens: number;
  timeoutMs: number;
  maxRetries: number;
}

/** The stop reasons in the words the rest of the app (and OpenAI's API) use for a finish reason. */
const FINISH_REASONS: Record<StopReason, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/**
 * Anthropic's Messages API through the official SDK, on its own fetch, which retries 408, 409, 429,
 * 5xx (529 "overloaded" included) and connection errors itself. `timeoutMs` bounds the wait for an
 * answer (retries included) and, while streaming, the silence between two events. The SDK sends the key
 * as it ships (1.x: `Authorization: Bearer`). No temperature, top_p or top_k is sent: the SDK's request
 * type has none and the current API version may refuse them.
 * A caller's abort is rethrown as the signal's reason; every other failure becomes an LlmError.
 */
export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic' as const;
  readonly defaultModel: string;
  private readonly client: Anthropic;
  private readonly errors: LlmErrorFactory;

  constructor(private readonly options: AnthropicProviderOptions) {
    this.defaultModel = options.model;
    this.errors = new LlmErrorFactory('anthropic', options.apiKey);
    this.client = new Anthropic({
      apiKey: options.apiKey,
      // explicit, so that the SDK reads no ANTHROPIC_BASE_URL of its own beside the validated configuration
      baseURL: options.baseUrl ?? 'https://api.anthropic.com',
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
    });
  }

  complete(request: LlmRequest, signal: AbortSignal): Promise<LlmResult> {
    return underDeadline(
      this.options.timeoutMs,
      signal,
      async (deadline) => {
        const message = await this.client.messages.create(this.params(request), { signal: deadline.signal });
        return {
          text: message.content.map((block) => (block.type === 'text' ? block.text : '')).join(''),
          model: message.model,
          usage: toUsage(message.usage),
          finishReason: toFinishReason(message.stop_reason),
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
        open: (deadline) =>
          this.client.messages.create({ ...this.params(request), stream: true }, { signal: deadline.signal }),
        read: (event, result) => {
          switch (event.type) {
            case 'message_start':
              result.model = event.message.model || result.model;
              result.usage = toUsage(event.message.usage);
              return null;
            case 'message_delta':
              result.usage = addDelta(result.usage, event.usage);
              result.finishReason = toFinishReason(event.delta.stop_reason) ?? result.finishReason;
              return null;
            case 'content_block_delta':
              return event.delta.type === 'text_delta' ? event.delta.text : null;
            case 'content_block_start':
            case 'content_block_stop':
            case 'message_stop':
              return null; // nothing to take
          }
        },
      },
      (error, deadline) => this.failure(error, signal, deadline),
    );
  }

  /**
   * The system prompt goes in the top-level `system`; the turns are Messages API messages as they are.
   * A request's temperature and topP are not sent (see the class comment); its stop sequences are.
   */
  private params({ model, system, messages, maxTokens, stop }: LlmRequest): MessageCreateParamsNonStreaming {
    return {
      model: model ?? this.defaultModel,
      max_tokens: maxTokens ?? this.options.maxTokens,
      ...(system ? { system } : {}),
      ...(stop?.length ? { stop_sequences: stop } : {}),
      messages: messages.map(({ role, content }) => ({ role, content })),
    };
  }

  private failure(error: unknown, signal: AbortSignal, deadline: Deadline): unknown {
    if (signal.aborted) return signal.reason;
    if (deadline.expired || error instanceof APIConnectionTimeoutError) {
      return this.errors.create('timeout', `Anthropic did not answer within ${this.options.timeoutMs} ms`);
    }
    // An `error` event inside a stream comes with no HTTP status, only the error's type.
    const status = error instanceof APIError && typeof error.status === 'number' ? error.status : undefined;
    const type = error instanceof APIError ? error.type : null;
    if (status === 429 || type === 'rate_limit_error') {
      return this.errors.create(
        'rate_limited',
        `Anthropic rate limit reached (${statusOf(status, type)})`,
        error,
      );
    }
    if (status === 529 || type === 'overloaded_error') {
      return this.errors.create('overloaded', `Anthropic is overloaded (${statusOf(status, type)})`, error);
    }
    const summary =
      status || type ? `Anthropic request failed (${statusOf(status, type)})` : 'Anthropic request failed';
    return this.errors.create('upstream', summary, error);
  }
}

function statusOf(status: number | undefined, type: string | null): string {
  return status ? `HTTP ${status}` : `${type ?? 'error'} event`;
}

function toFinishReason(reason: StopReason | null): string | null {
  return reason ? (FINISH_REASONS[reason] ?? reason) : null;
}

/** Input tokens count those read from and written to the prompt cache too: all of them were sent. */
function toUsage(usage: Usage): LlmUsage {
  return {
    promptTokens:
      usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
    completionTokens: usage.output_tokens,
  };
}

/** `message_delta` carries the cumulative output tokens, and the input tokens when they changed. */
function addDelta(usage: LlmUsage | null, delta: MessageDeltaUsage): LlmUsage {
  const input =
    delta.input_tokens === null || delta.input_tokens === undefined
      ? undefined
      : delta.input_tokens + (delta.cache_creation_input_tokens ?? 0) + (delta.cache_read_input_tokens ?? 0);
  return { promptTokens: input ?? usage?.promptTokens ?? 0, completionTokens: delta.output_tokens };
}
