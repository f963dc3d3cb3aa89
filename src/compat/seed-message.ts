import { SeedResponseException } from '../common/exceptions.js';
import { MAX_MESSAGE_LENGTH } from '../messages/dto/message.dto.js';

/**
 * The seeds' message check: a non-blank string of at most 100,000 characters without NUL bytes,
 * else 400 `{"error": emptyMessage}` (or a length/character error in the same shape).
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
  if (value.includes('\u0000'))
    throw new SeedResponseException({ error: 'Message contains a NUL character.' }, 400);
  return value;
}
