/** Every LLM provider the server knows, in the order a default is picked among the configured ones (echo last). */
export const LLM_PROVIDER_NAMES = ['openai', 'gemini', 'anthropic', 'echo'] as const;

export type LlmProviderName = (typeof LLM_PROVIDER_NAMES)[number];
