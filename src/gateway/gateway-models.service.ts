import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import type { LlmProvider } from '../llm/llm-provider.js';
import { LlmRegistry } from '../llm/llm-registry.js';
import { modelNameProblem } from '../llm/model-name.js';
import { ModelNotFoundException } from './chat-completion-request.js';

/** A model the gateway can call: its provider, and the model name the provider takes. */
export interface GatewayModel {
  id: string;
  provider: LlmProvider;
  model: string;
}

/**
 * The gateway's model ids, `provider/model`: each configured provider's default model, then those of
 * GATEWAY_MODELS whose provider is configured.
 */
@Injectable()
export class GatewayModelsService {
  constructor(
    private readonly llm: LlmRegistry,
    private readonly config: AppConfig,
  ) {}

  list(): string[] {
    const ids = this.llm.names
      .filter((name) => this.llm.isConfigured(name))
      .map((name) => `${name}/${this.llm.resolve(name).defaultModel}`);
    for (const id of this.config.llm.gatewayModels) {
      const provider = id.split('/', 1)[0];
      if (this.llm.isKnown(provider) && this.llm.isConfigured(provider) && !ids.includes(id)) ids.push(id);
    }
    return ids;
  }

  /**
   * The model an id names. `provider/model` takes any model name of a configured provider (the provider
   * knows which exist; `openai/meta-llama/Llama-3.1-8B` for a name with a slash); a bare name (no slash)
   * is a listed model's name, else a model of the default provider.
   * 404 (model_not_found) for a provider that is not configured, or a name the provider cannot take.
   */
  resolve(id: string): GatewayModel {
    const slash = id.indexOf('/');
    if (slash >= 0) return this.model(id, id.slice(0, slash), id.slice(slash + 1));
    const listed = this.list().find((listedId) => listedId.slice(listedId.indexOf('/') + 1) === id);
    if (listed) return this.resolve(listed);
    return this.model(id, this.llm.defaultProvider, id);
  }

  private model(id: string, providerName: string, model: string): GatewayModel {
    if (!this.llm.isKnown(providerName) || !this.llm.isConfigured(providerName))
      throw new ModelNotFoundException(id);
    if (model === '' || modelNameProblem(providerName, model)) throw new ModelNotFoundException(id);
    return { id: `${providerName}/${model}`, provider: this.llm.resolve(providerName), model };
  }
}
