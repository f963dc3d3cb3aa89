import { applyDecorators } from '@nestjs/common';
import { Matches } from 'class-validator';

/** PostgreSQL text cannot hold NUL; refuse it with a 400 rather than fail on insert. */
export const NoNulBytes = (): PropertyDecorator =>
  applyDecorators(Matches(new RegExp('^[^\\0]*$'), { message: '$property must not contain NUL characters' }));

/** Refuses strings that are empty once trimmed. */
export const NotBlank = (): PropertyDecorator =>
  applyDecorators(Matches(/\S/, { message: '$property must not be blank' }));
