import type { EntityManager } from 'typeorm';
import type { MessageStatus } from '../messages/message.js';
import { utcDay } from './usage-period.js';

/** A status an answer can finish with (a `streaming` one is not finished). */
export type FinishedStatus = Exclude<MessageStatus, 'streaming'>;

/**
 * What an answer of each finished status adds to its day's counters, besides its tokens. A new status
 * is one line here: the compiler asks for it. A stopped answer is one the user wanted ended, not a failure.
 */
const COUNTERS: Record<FinishedStatus, { answers: number; failures: number }> = {
  complete: { answers: 1, failures: 0 },
  failed: { answers: 1, failures: 1 },
  stopped: { answers: 1, failures: 0 },
};

/** A finished answer as its usage counts it. */
export interface FinishedAnswer {
  sessionId: string;
  provider: string;
  model: string | null;
  status: FinishedStatus;
  promptTokens: number | null;
  completionTokens: number | null;
}

/**
 * Adds a finished answer to its user's row of the day (UTC), provider and model, in the caller's
 * transaction (the one that stores the answer). The user is read from the session's row, which the
 * transaction has already updated and locked.
 */
export async function recordAnswerUsage(manager: EntityManager, answer: FinishedAnswer): Promise<void> {
  await addToDay(manager, 'SELECT s.user_id FROM chat_sessions s WHERE s.id = $1', answer.sessionId, answer);
}

/** Adds a finished answer stored nowhere (a gateway completion without `store`) to its user's day. */
export async function recordUserUsage(
  manager: EntityManager,
  userId: string,
  answer: Omit<FinishedAnswer, 'sessionId'>,
): Promise<void> {
  await addToDay(manager, 'SELECT $1::uuid AS user_id', userId, answer);
}

/**
 * Concurrent answers add up: INSERT … ON CONFLICT adds to the existing row under its row lock.
 * Hand-written: TypeORM's `orUpdate` can only overwrite a column with the inserted value, not add to it.
 * `userOf` selects the user's id from `$1`.
 */
async function addToDay(
  manager: EntityManager,
  userOf: string,
  key: string,
  answer: Omit<FinishedAnswer, 'sessionId'>,
): Promise<void> {
  const counters = COUNTERS[answer.status];
  await manager.query(
    `INSERT INTO usage_days AS u (user_id, day, provider, model, prompt_tokens, completion_tokens, answers, failures)
     SELECT w.user_id, $2::date, $3, $4, $5, $6, $7, $8 FROM (${userOf}) w
     ON CONFLICT (user_id, day, provider, model) DO UPDATE SET
       prompt_tokens = u.prompt_tokens + EXCLUDED.prompt_tokens,
       completion_tokens = u.completion_tokens + EXCLUDED.completion_tokens,
       answers = u.answers + EXCLUDED.answers,
       failures = u.failures + EXCLUDED.failures`,
    [
      key,
      utcDay(new Date()),
      answer.provider,
      answer.model ?? '',
      answer.promptTokens ?? 0,
      answer.completionTokens ?? 0,
      counters.answers,
      counters.failures,
    ],
  );
}

/** Whether an answer of this status is finished (and so counts). */
export function isFinished(status: MessageStatus): status is FinishedStatus {
  return status in COUNTERS;
}
