import type { HttpException } from '@nestjs/common';
import { type FieldError, SeedResponseException } from '../common/exceptions.js';
import { MAX_MESSAGE_LENGTH } from '../messages/dto/message.dto.js';

/**
 * The seeds' message check: a non-blank string of at most 100,000 characters, else 400
 * `{"error": emptyMessage}` (or a length error in the same shape). Text PostgreSQL cannot store is
 * refused by the validation pipe, in the same shape through {@link messageFieldErrors}.
 */
export function seedMessageText(value: unknown, emptyMessage: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new SeedResponseException({ error: emptyMessage }, 400);
  if (value.length > MAX_MESSAGE_LENGTH) {
    throw new SeedResponseException(
      { error: `Message is too long (at most ${MAX_MESSAGE_LENGTH} characters).` },
      400,
    );
  }
  return value;
}

/** A seed chat DTO's `validationError` (see OwnValidationErrors): its message field's errors as `{"error": ...}`. */
export const messageFieldErrors =
  (field: string) =>
  (errors: FieldError[]): HttpException | undefined => {
    const error = errors.find((e) => e.field === field);
    return error && new SeedResponseException({ error: error.message }, 400);
  };
