import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { AppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { LlmError, type LlmProviderName } from './llm-provider.js';
import { LlmRegistry } from './llm-registry.js';
import { createLlmProviders, LlmModule } from './llm.module.js';

type LlmConfig = AppConfig['llm'];

function config(llm: Partial<LlmConfig> = {}): AppConfig {
  const defaults: LlmConfig = {
    defaultProvider: 'echo',
    timeoutMs: 1_000,
    maxRetries: 0,
    contextTokens: 8_000,
    titles: 'model',
    openai: { model: 'gpt-test' },
    gemini: { model: 'gemini-test' },
    anthropic: { model: 'claude-test', maxTokens: 1024 },
    gatewayModels: [],
  };
  return { llm: { ...defaults, ...llm } } as AppConfig;
}

function registry(appConfig: AppConfig): LlmRegistry {
  return new LlmRegistry(createLlmProviders(appConfig), appConfig);
}

describe('createLlmProviders', () => {
  const names = (appConfig: AppConfig) => [...createLlmProviders(appConfig).keys()].sort();

  it('always has echo', () => {
    expect(names(config())).toEqual(['echo']);
  });

  it('adds openai with an API key or a base URL, gemini and anthropic with an API key', () => {
    expect(names(config({ openai: { apiKey: 'sk-x', model: 'm' } }))).toEqual(['echo', 'openai']);
    expect(names(config({ openai: { baseUrl: 'http://localhost:11434/v1', model: 'm' } }))).toEqual([
      'echo',
      'openai',
    ]);
    expect(names(config({ gemini: { apiKey: 'AIza-x', model: 'm' } }))).toEqual(['echo', 'gemini']);
    expect(names(config({ gemini: { baseUrl: 'http://localhost:1', model: 'm' } }))).toEqual(['echo']);
    expect(names(config({ anthropic: { apiKey: 'sk-ant-x', model: 'm', maxTokens: 1 } }))).toEqual([
      'anthropic',
      'echo',
    ]);
    expect(names(config({ anthropic: { baseUrl: 'http://localhost:1', model: 'm', maxTokens: 1 } }))).toEqual(
      ['echo'],
    );
  });

  it('gives each provider its configured default model', () => {
    const providers = createLlmProviders(
      config({
        openai: { apiKey: 'sk-x', model: 'gpt-x' },
        gemini: { apiKey: 'AIza-x', model: 'gemini-x' },
        anthropic: { apiKey: 'sk-ant-x', model: 'claude-x', maxTokens: 1 },
      }),
    );
    expect([...providers.values()].map((p) => [p.name, p.defaultModel])).toEqual([
      ['echo', 'echo'],
      ['openai', 'gpt-x'],
      ['gemini', 'gemini-x'],
      ['anthropic', 'claude-x'],
    ]);
  });
});

describe('LlmRegistry', () => {
  it('resolves the configured default when no name is given', () => {
    const llm = registry(config({ defaultProvider: 'openai', openai: { apiKey: 'sk-x', model: 'm' } }));

    expect(llm.defaultProvider).toBe('openai');
    expect(llm.resolve().name).toBe('openai');
    expect(llm.resolve(null).name).toBe('openai');
    expect(llm.resolve('echo').name).toBe('echo');
  });

  it('falls back to echo when the configured default is not configured', () => {
    const llm = registry(config({ defaultProvider: 'gemini' }));

    expect(llm.defaultProvider).toBe('echo');
    expect(llm.resolve(undefined).name).toBe('echo');
  });

  it('throws not_configured for a known provider without configuration', () => {
    const llm = registry(config());

    expect(llm.isConfigured('gemini')).toBe(false);
    expect(() => llm.resolve('gemini')).toThrow(LlmError);
    expect(() => llm.resolve('gemini')).toThrow(
      expect.objectContaining({ kind: 'not_configured', provider: 'gemini', httpStatus: 503 }),
    );
  });

  it('tells known names from unknown ones', () => {
    const llm = registry(config());

    expect(['openai', 'gemini', 'anthropic', 'echo', 'claude', ''].map((name) => llm.isKnown(name))).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(() => llm.resolve('claude')).toThrow(RangeError);
  });

  it('is provided by LlmModule over the global AppConfig', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config({ openai: { apiKey: 'sk-x', model: 'm' } })), LlmModule],
    }).compile();

    const llm = moduleRef.get(LlmRegistry);
    const configured = llm.names.filter((name: LlmProviderName) => llm.isConfigured(name));

    expect(configured).toEqual(['openai', 'echo']);
    await moduleRef.close();
  });
});
