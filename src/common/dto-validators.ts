import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, Matches, MaxLength, MinLength } from 'class-validator';

/** Refuses strings that are empty once trimmed. */
export const NotBlank = (): PropertyDecorator =>
  applyDecorators(Matches(/\S/, { message: '$property must not be blank' }));

/**
 * A required string of `min`–`max` characters. class-validator checks decorators in the order they are
 * registered, so composing them here puts "is required" and "must be a string" before the length rules.
 * The lengths are also put in the OpenAPI schema, which the Swagger plugin cannot read from a composition.
 */
export const RequiredString = (min: number, max: number): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ minLength: min, maxLength: max }),
    IsDefined({ message: '$property is required' }),
    IsString({ message: '$property must be a string' }),
    MinLength(min, {
      message: min === 1 ? '$property must not be empty' : `$property must be at least ${min} characters`,
    }),
    MaxLength(max, { message: `$property must be at most ${max} characters` }),
  );
