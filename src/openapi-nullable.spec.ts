import { describe, expect, it } from '@jest/globals';
import { mendNullables } from './openapi-nullable.js';

describe('mendNullables', () => {
  it('adds null to the enum of a nullable schema, once', () => {
    const doc = {
      a: { type: 'string', nullable: true, enum: ['openai', 'gemini'] },
      b: { type: 'string', nullable: true, enum: ['x', null] },
    };
    mendNullables(doc);
    expect(doc.a.enum).toEqual(['openai', 'gemini', null]);
    expect(doc.b.enum).toEqual(['x', null]);
  });

  it('turns a nullable allOf of one reference into a oneOf of the reference and null', () => {
    const usage = { type: 'object', nullable: true, allOf: [{ $ref: '#/components/schemas/UsageDto' }] };
    const doc = { components: { schemas: { MessageDto: { properties: { usage } } } } };
    mendNullables(doc);
    expect(doc.components.schemas.MessageDto.properties.usage).toEqual({
      type: 'object',
      nullable: true,
      oneOf: [{ $ref: '#/components/schemas/UsageDto' }, { type: 'object', nullable: true, enum: [null] }],
    });
  });

  it('leaves schemas that are not nullable, and nullable ones without enum or allOf, alone', () => {
    const doc = {
      paths: [{ type: 'string', enum: ['user', 'admin'] }, { allOf: [{ $ref: '#/x' }] }],
      plain: { type: 'string', nullable: true },
    };
    const before = JSON.parse(JSON.stringify(doc)) as unknown;
    mendNullables(doc);
    expect(doc).toEqual(before);
  });
});
