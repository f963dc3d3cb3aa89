import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  TITLE_WORDS,
  type LlmMessage,
  type LlmProvider,
  type LlmRequest,
  type LlmResult,
  type LlmStreamEvent,
} from '../llm-provider.js';
import { estimatePromptTokens, estimateTextTokens } from '../token-estimate.js';

const SYSTEM_PREVIEW_LENGTH = 60;

/**
 * An offline stand-in for a model: no network, deterministic. It answers by describing the
 * conversation it was given, which makes memory and system prompts visible in tests and demos, and
 * titles a conversation with its first question's first words.
 */
export class EchoProvider implements LlmProvider {
  readonly name = 'echo' as const;
  readonly defaultModel = 'echo';

  complete(request: LlmRequest, signal: AbortSignal): Promise<LlmResult> {
    return new Promise((resolve) => {
      signal.throwIfAborted();
      resolve(this.answer(request));
    });
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmStreamEvent> {
    const result = this.answer(request);
    for (const word of result.text.match(/\S+\s*/g) ?? []) {
      await nextTurn(); // one delta per event-loop turn, as from a real stream
      signal.throwIfAborted();
      yield { type: 'delta', text: word };
    }
    signal.throwIfAborted();
    yield { type: 'done', ...result };
  }

  private answer(request: LlmRequest): LlmResult {
    const { system, messages } = request;
    const text = request.purpose === 'title' ? title(messages) : describe(system, messages);
    return {
      text,
      model: this.defaultModel,
      usage: {
        promptTokens: estimatePromptTokens(system, messages),
        completionTokens: estimateTextTokens(text),
      },
      finishReason: 'stop',
    };
  }
}

/** The first user message's first TITLE_WORDS words: a short question is its own title. */
function title(messages: readonly LlmMessage[]): string {
  const question = messages.find((message) => message.role === 'user')?.content ?? '';
  return question.split(/\s+/).filter(Boolean).slice(0, TITLE_WORDS).join(' ');
}

function describe(system: string | undefined, messages: readonly LlmMessage[]): string {
  const lastUser = messages.findLast((message) => message.role === 'user');
  const earlier = lastUser ? messages.length - 1 : messages.length;
  const parts = [
    `Echo provider (offline, no model called): you said "${lastUser?.content ?? ''}".`,
    `I can see ${earlier} earlier ${earlier === 1 ? 'message' : 'messages'} in this conversation.`,
  ];
  if (system) parts.push(`System prompt: "${preview(system)}".`);
  return parts.join(' ');
}

function preview(text: string): string {
  return text.length > SYSTEM_PREVIEW_LENGTH ? `${text.slice(0, SYSTEM_PREVIEW_LENGTH)}…` : text;
}
