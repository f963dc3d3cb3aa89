import { Inject, Injectable } from '@nestjs/common';
import { RequestValidationException } from '../common/exceptions.js';
import { AppConfig, LLM_PROVIDER_NAMES } from '../config/app-config.js';
import { LlmError, type LlmProvider, type LlmProviderName } from './llm-provider.js';
import { modelNameProblem } from './model-name.js';

/** Injection token of the configured providers, a {@link LlmProviders} map. */
export const LLM_PROVIDERS = Symbol('LLM_PROVIDERS');

/** The providers that can be called: echo always, the others when configured. */
export type LlmProviders = ReadonlyMap<LlmProviderName, LlmProvider>;

/** Picks the provider for a request: the one asked for, or the configured default. */
@Injectable()
export class LlmRegistry {
  constructor(
    @Inject(LLM_PROVIDERS) private readonly providers: LlmProviders,
    private readonly config: AppConfig,
  ) {}

  /** The configured default, or echo when that one is not configured. */
  get defaultProvider(): LlmProviderName {
    const configured = this.config.llm.defaultProvider;
    return this.isConfigured(configured) ? configured : 'echo';
  }

  /** Every known provider name, configured or not. */
  get names(): readonly LlmProviderName[] {
    return LLM_PROVIDER_NAMES;
  }

  isKnown(name: string): name is LlmProviderName {
    return (LLM_PROVIDER_NAMES as readonly string[]).includes(name);
  }

  isConfigured(name: LlmProviderName): boolean {
    return this.providers.has(name);
  }

  /**
   * The provider called `name`, or the default one when `name` is null or undefined.
   * @throws LlmError `not_configured` when that provider is known but not configured
   * @throws RangeError when `name` is no provider at all (check with {@link isKnown} first)
   */
  resolve(name?: string | null): LlmProvider {
    const wanted = name ?? this.defaultProvider;
    if (!this.isKnown(wanted)) throw new RangeError(`Unknown LLM provider "${wanted}"`);
    const provider = this.providers.get(wanted);
    if (!provider) {
      throw new LlmError('not_configured', `The ${wanted} provider is not configured on this server`, wanted);
    }
    return provider;
  }

  /** {@link assertConfigured} and {@link assertModelFits}. */
  assertUsable(provider: LlmProviderName | null, model: string | null): void {
    this.assertConfigured(provider);
    this.assertModelFits(provider, model);
  }

  /** A 400 naming `provider` unless it is configured (null or undefined: the default, always usable). */
  assertConfigured(provider: LlmProviderName | null | undefined): void {
    if (provider && !this.isConfigured(provider)) {
      throw new RequestValidationException([
        { field: 'provider', message: `The ${provider} provider is not configured on this server.` },
      ]);
    }
  }

  /** A 400 naming `model` unless it is a name its provider (null: the default) can take; null: the provider's default. */
  assertModelFits(provider: LlmProviderName | null, model: string | null): void {
    const problem = model === null ? undefined : modelNameProblem(provider ?? this.defaultProvider, model);
    if (problem) throw new RequestValidationException([{ field: 'model', message: problem }]);
  }
}
