import { describe, expect, it } from '@jest/globals';
import { ArgumentMetadata, type Type, ValidationPipe } from '@nestjs/common';
import { PageQueryDto } from '../chat-sessions/dto/chat-session.dto.js';
import { SendMessageDto } from '../messages/dto/message.dto.js';
import {
  createValidationPipe,
  type FastParsable,
  unstorableTextErrors,
  VALIDATION_OPTIONS,
} from './validation.js';

/** class-validator's verdict: the DTO, or the error it raised. */
async function slowPath(metatype: Type, type: ArgumentMetadata['type'], value: unknown): Promise<unknown> {
  return new ValidationPipe(VALIDATION_OPTIONS).transform(value, { type, metatype }).catch((e: unknown) => e);
}

const cases: [string, FastParsable<unknown> & Type, ArgumentMetadata['type'], unknown[]][] = [
  [
    'PageQueryDto',
    PageQueryDto,
    'query',
    [
      {},
      { limit: '1' },
      { limit: '20' },
      { limit: '100' },
      { limit: '101' },
      { limit: '0' },
      { limit: '-1' },
      { limit: '020' },
      { limit: '2.5' },
      { limit: 'ten' },
      { limit: '' },
      { limit: ['1', '2'] },
      { cursor: 'abc' },
      { cursor: 'x'.repeat(200) },
      { cursor: 'x'.repeat(201) },
      { cursor: ['a', 'b'] },
      { limit: '5', cursor: 'abc' },
      { limit: '5', other: '1' },
      Object.assign(Object.create(null) as object, { limit: '7' }),
    ],
  ],
  [
    'SendMessageDto',
    SendMessageDto,
    'body',
    [
      { content: 'hello' },
      { content: ' hi ' },
      { content: '' },
      { content: '   ' },
      { content: '\n\t' },
      { content: 'a\u0000b' },
      { content: 'x'.repeat(100_000) },
      { content: 'x'.repeat(100_001) },
      { content: 42 },
      { content: null },
      { content: ['a'] },
      {},
      { content: 'ok', extra: 1 },
      null,
      'content',
      [],
    ],
  ],
];

describe.each(cases)('%s.fastParse', (_name, dto, type, samples) => {
  it.each(samples.map((sample) => [sample]))('agrees with class-validator on %j', async (sample) => {
    const fast = dto.fastParse(sample);
    const slow = await slowPath(dto, type, sample);
    if (fast !== undefined) {
      // accepted on the fast path: class-validator accepts it too, with the same result
      expect(slow).toBeInstanceOf(dto);
      expect(fast).toBeInstanceOf(dto);
      expect({ ...(fast as object) }).toEqual({ ...(slow as object) });
    } else if (!(slow instanceof Error)) {
      // left to class-validator only for unusual valid input (e.g. "020"), never for common input
      expect(JSON.stringify(sample)).toMatch(/"0\d|\s/);
    }
  });

  it('the application pipe returns the fast path result and still rejects through class-validator', async () => {
    const pipe = createValidationPipe();
    const valid = samples.find((s) => dto.fastParse(s) !== undefined);
    await expect(pipe.transform(valid, { type, metatype: dto })).resolves.toBeInstanceOf(dto);
    const invalid = samples.find(
      (s) => dto.fastParse(s) === undefined && JSON.stringify(s) !== '{}' && s !== null,
    );
    await expect(pipe.transform(invalid, { type, metatype: dto })).rejects.toThrow();
  });
});

describe('unstorableTextErrors', () => {
  it('finds NUL and unpaired surrogates anywhere, naming nested fields with dots', () => {
    const body = {
      ok: 'plain text, emoji 😀 and all',
      nul: 'a\u0000b',
      nested: { list: ['fine', 'x\ud800'] },
      low: '\udc00 at the start',
      reversed: '\udc00\ud800',
      number: 1,
      nothing: null,
    };
    expect(unstorableTextErrors(body)).toEqual([
      { field: 'nul', message: 'Null characters are not allowed.' },
      { field: 'low', message: 'Surrogate characters are not allowed: U+DC00.' },
      { field: 'reversed', message: 'Surrogate characters are not allowed: U+DC00.' },
      { field: 'nested.list.1', message: 'Surrogate characters are not allowed: U+D800.' },
    ]);
  });

  it('finds nothing in well-formed text, and survives deep nesting', () => {
    expect(unstorableTextErrors({ a: '😀', b: ['\ud83d\ude00'], c: 'é' })).toEqual([]);
    let deep: unknown = 'a\u0000';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(unstorableTextErrors(deep)).toHaveLength(1);
  });

  it('the application pipe refuses it in a body or query with the field named, but not in a path parameter', async () => {
    const pipe = createValidationPipe();
    await expect(
      pipe.transform({ content: 'a\u0000' }, { type: 'body', metatype: SendMessageDto }),
    ).rejects.toMatchObject({
      fieldErrors: [{ field: 'content', message: 'Null characters are not allowed.' }],
    });
    await expect(
      pipe.transform({ cursor: 'a\ud800' }, { type: 'query', metatype: PageQueryDto }),
    ).rejects.toThrow();
    await expect(pipe.transform('a\u0000', { type: 'param', metatype: String })).resolves.toBe('a\u0000');
  });
});
