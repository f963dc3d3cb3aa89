import { NotFoundException } from '@nestjs/common';
import type { ErrorStyle } from '../common/error-style.js';
import type { StyledException } from '../common/exceptions.js';

/** 404 for an unknown, malformed or foreign session id: never 403, so ids of others are not confirmed. */
export class SessionNotFoundException extends NotFoundException implements StyledException {
  constructor() {
    super('Chat session not found.');
  }

  bodyFor(style: ErrorStyle): Record<string, unknown> | undefined {
    switch (style) {
      case 'problem':
      case 'openai': // rendered by the filter, in OpenAI's shape
        return undefined;
      case 'quick-chat':
        return { error: 'Chat session not found.' };
      case 'sessions-seed':
        return { error: 'Chat session not found' };
    }
  }
}
