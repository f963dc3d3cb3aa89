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
});
