import type { LlmProviderName } from './llm-provider.js';

/**
 * A model name as an OpenAI-compatible server takes it, in the JSON body: `gpt-4o`, `llama3.2:1b`, or
 * with an organisation, `meta-llama/Llama-3.1-8B` (OpenRouter, vLLM).
 */
export const MODEL_NAME = /^[\w.:/@-]+$/;

/**
 * A Gemini model name, `gemini-2.0-flash`: letters, digits, `.`, `-` and `_`. The SDK puts it in the
 * URL path (`/v1beta/models/<model>:generateContent`), so a `/` would add path segments
 * (`gemini-2.0-flash/../../x` reaches another endpoint).
 */
export const GEMINI_MODEL_NAME = /^[A-Za-z0-9][\w.-]*$/;

/**
 * An Anthropic model name, `claude-sonnet-4-6`, `claude-3-5-sonnet-v2@20241022`: letters, digits, `.`,
 * `:`, `@`, `-` and `_`, from a letter or digit. It travels in the JSON body; no Claude model name
 * (Anthropic's, Bedrock's or Vertex's) has a `/` or a space.
 */
export const ANTHROPIC_MODEL_NAME = /^[A-Za-z0-9][\w.:@-]*$/;

/** Why `model` cannot be a model of `provider`, or undefined when it can. */
export function modelNameProblem(provider: LlmProviderName, model: string): string | undefined {
  if (provider === 'gemini') {
    return GEMINI_MODEL_NAME.test(model)
      ? undefined
      : 'a Gemini model name may contain only letters, digits and . - _';
  }
  if (provider === 'anthropic') {
    return ANTHROPIC_MODEL_NAME.test(model)
      ? undefined
      : 'an Anthropic model name may contain only letters, digits and . : @ - _, starting with a letter or digit';
  }
  return MODEL_NAME.test(model) ? undefined : 'model may contain only letters, digits and . : / @ - _';
}
