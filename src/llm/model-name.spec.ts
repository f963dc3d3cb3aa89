import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../config/app-config.js';
import { modelNameProblem } from './model-name.js';

describe('modelNameProblem', () => {
  it.each(['gemini-2.0-flash', 'gemini-1.5-pro-002', 'gemini_exp.1'])('takes the Gemini model %s', (model) =>
    expect(modelNameProblem('gemini', model)).toBeUndefined(),
  );

  it.each([
    'gemini-2.0-flash/../../x',
    'models/gemini-2.0-flash',
    'tunedModels/x',
    '..',
    '.hidden',
    'gemini:generateContent',
    'gemini-2.0-flash?alt=sse',
    'gemini 2',
    '',
  ])('refuses %p for Gemini, whose model is a URL path segment', (model) =>
    expect(modelNameProblem('gemini', model)).toMatch(/Gemini model name/),
  );

  it.each(['gpt-4o', 'llama3.2:1b', 'meta-llama/Llama-3.1-8B', 'openai/gpt-4o@latest'])(
    'takes %s for an OpenAI-compatible server (the model is in the JSON body)',
    (model) => expect(modelNameProblem('openai', model)).toBeUndefined(),
  );

  it.each(['gpt 4o', 'gpt-4o?x=1', ''])('refuses %p for OpenAI', (model) =>
    expect(modelNameProblem('openai', model)).toBeDefined(),
  );

  it.each([
    'claude-sonnet-4-6',
    'claude-3-5-sonnet-20241022',
    'claude-3-5-sonnet-v2@20241022',
    'claude_x.1:0',
  ])('takes the Anthropic model %s', (model) => expect(modelNameProblem('anthropic', model)).toBeUndefined());

  it.each(['anthropic/claude-sonnet-4-6', 'claude sonnet', '-claude', '.claude', 'claude?x=1', ''])(
    'refuses %p for Anthropic',
    (model) => expect(modelNameProblem('anthropic', model)).toMatch(/Anthropic model name/),
  );
});

describe('the environment', () => {
  it('refuses a GEMINI_MODEL with path segments, naming it', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', GEMINI_MODEL: 'gemini-2.0-flash/../../x' })).toThrow(
      /GEMINI_MODEL/,
    );
  });

  it('takes an OPENAI_MODEL with an organisation, and refuses one with a space', () => {
    expect(loadConfig({ NODE_ENV: 'test', OPENAI_MODEL: 'meta-llama/Llama-3.1-8B' }).llm.openai.model).toBe(
      'meta-llama/Llama-3.1-8B',
    );
    expect(() => loadConfig({ NODE_ENV: 'test', OPENAI_MODEL: 'gpt 4o' })).toThrow(/OPENAI_MODEL/);
  });

  it('defaults ANTHROPIC_MODEL to claude-sonnet-4-6 and ANTHROPIC_MAX_TOKENS to 8192, and refuses bad ones', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).llm.anthropic).toEqual({
      apiKey: undefined,
      baseUrl: undefined,
      model: 'claude-sonnet-4-6',
      maxTokens: 8192,
    });
    expect(() => loadConfig({ NODE_ENV: 'test', ANTHROPIC_MODEL: 'anthropic/claude' })).toThrow(
      /ANTHROPIC_MODEL/,
    );
    expect(() => loadConfig({ NODE_ENV: 'test', ANTHROPIC_MAX_TOKENS: '0' })).toThrow(/ANTHROPIC_MAX_TOKENS/);
  });

  it('makes anthropic the default provider when it is the only one with a key, and needs its key when named', () => {
    expect(loadConfig({ NODE_ENV: 'test', ANTHROPIC_API_KEY: 'sk-ant-x' }).llm.defaultProvider).toBe(
      'anthropic',
    );
    expect(() => loadConfig({ NODE_ENV: 'test', LLM_PROVIDER: 'anthropic' })).toThrow(/ANTHROPIC_API_KEY/);
  });
});
