import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { AnthropicProvider } from './anthropic/anthropic.provider.js';
import { EchoProvider } from './echo/echo.provider.js';
import { GeminiProvider } from './gemini/gemini.provider.js';
import type { LlmProvider, LlmProviderName } from './llm-provider.js';
import { LLM_PROVIDERS, LlmRegistry, type LlmProviders } from './llm-registry.js';
import { OpenAiProvider } from './openai/openai.provider.js';

/**
 * Builds the providers the configuration allows: echo always, openai with a key or base URL, gemini and
 * anthropic with a key.
 */
export function createLlmProviders({ llm }: AppConfig): LlmProviders {
  const { openai, gemini, anthropic, timeoutMs, maxRetries } = llm;
  const providers = new Map<LlmProviderName, LlmProvider>([['echo', new EchoProvider()]]);
  if (openai.apiKey || openai.baseUrl) {
    providers.set('openai', new OpenAiProvider({ ...openai, timeoutMs, maxRetries }));
  }
  if (gemini.apiKey) {
    providers.set('gemini', new GeminiProvider({ ...gemini, apiKey: gemini.apiKey, timeoutMs, maxRetries }));
  }
  if (anthropic.apiKey) {
    providers.set(
      'anthropic',
      new AnthropicProvider({ ...anthropic, apiKey: anthropic.apiKey, timeoutMs, maxRetries }),
    );
  }
  return providers;
}

/** The LLM layer. Needs {@link AppConfig}, which the app's global ConfigModule provides. */
@Module({
  providers: [{ provide: LLM_PROVIDERS, useFactory: createLlmProviders, inject: [AppConfig] }, LlmRegistry],
  exports: [LlmRegistry],
})
export class LlmModule {}
