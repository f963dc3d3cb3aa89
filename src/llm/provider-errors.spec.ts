import { describe, expect, it } from '@jest/globals';
import { LlmError } from './llm-provider.js';
import { LlmErrorFactory, safeDetail } from './provider-errors.js';

describe('provider errors', () => {
  it('masks the API key and anything shaped like one', () => {
    expect(safeDetail('bad key my-secret-key', 'my-secret-key')).toBe('bad key ***');
    expect(safeDetail('Incorrect API key provided: sk-proj-abc123XYZ. Check it.')).toBe(
      'Incorrect API key provided: ***. Check it.',
    );
    expect(safeDetail('key AIzaSyA1234567890abcdefghijklmnop invalid')).toBe('key *** invalid');
  });

  it('caps long messages', () => {
    expect(safeDetail('x'.repeat(1_000))).toHaveLength(301);
  });

  it('builds LlmErrors with the summary and the masked cause', () => {
    const errors = new LlmErrorFactory('openai', 'secret-1');

    const error = errors.create(
      'upstream',
      'OpenAI request failed (HTTP 401)',
      new Error('key secret-1 rejected'),
    );

    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind: 'upstream', provider: 'openai' });
    expect(error.message).toBe('OpenAI request failed (HTTP 401): key *** rejected');
    expect(errors.create('timeout', 'Too slow').message).toBe('Too slow');
  });
});
