import { STATUS_CODES } from 'node:http';
import { MessageDto } from './dto/message.dto.js';
import type { ListedMessage } from './message.js';

/** The error stored on an answer whose generating instance went away before it ended. */
export const INTERRUPTED = 'interrupted';
export const INTERRUPTED_DETAIL =
  'The answer was interrupted: the server generating it went away before it finished. Regenerate it.';

/** The data of an `error` event: problem details with the answer's id and the request's. */
export function errorEvent(
  status: number,
  detail: string,
  messageId: string,
  requestId: string | null,
): Record<string, unknown> {
  return {
    type: 'about:blank',
    title: STATUS_CODES[status],
    status,
    detail,
    message_id: messageId,
    request_id: requestId,
  };
}

/**
 * The last event of a finished answer's stream, rebuilt from the stored answer when its log is gone:
 * `message.completed` for a complete or stopped answer, `error` for a failed one (503 when it was
 * interrupted, else 502: the status of the original failure is not stored). Null while it is `streaming`.
 */
export function finalEventOf(
  answer: ListedMessage,
  requestId: string | null,
): { event: string; data: unknown } | null {
  switch (answer.status) {
    case 'streaming':
      return null;
    case 'complete':
    case 'stopped':
      return { event: 'message.completed', data: MessageDto.from(answer) };
    case 'failed': {
      const interrupted = answer.error === INTERRUPTED;
      const detail = interrupted ? INTERRUPTED_DETAIL : (answer.error ?? 'The answer failed.');
      return { event: 'error', data: errorEvent(interrupted ? 503 : 502, detail, answer.id, requestId) };
    }
  }
}
