import { expect } from '@jest/globals';
import type { OpenAiFake } from '../fakes/openai-fake.js';
import { messagesUrl, openAiFakeEnv } from './chat-helpers.js';
import {
  createdQuestion,
  dataOf,
  deferred,
  requestSse,
  streamMessage,
  type SseRequestOptions,
  type SseResult,
} from './sse-client.js';

/** The resume route of an answer. */
export const streamUrl = (baseUrl: string, sessionId: string, answerId: string): string =>
  `${baseUrl}${messagesUrl(sessionId)}/${answerId}/stream`;

/** `GET …/messages/:answerId/stream`, with `Last-Event-ID` when given, read to its end. */
export function resumeStream(
  baseUrl: string,
  auth: string,
  sessionId: string,
  answerId: string,
  lastEventId?: number,
  options: Omit<SseRequestOptions, 'method' | 'body'> = {},
): Promise<SseResult> {
  return requestSse(streamUrl(baseUrl, sessionId, answerId), {
    ...options,
    method: 'GET',
    headers: {
      authorization: auth,
      ...(lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) }),
      ...options.headers,
    },
  });
}

/** The answer id a streamed turn's first event carries. */
export function answerIdOf(res: SseResult): string {
  expect(res.events[0]?.event).toBe('message.created');
  createdQuestion(res.events[0]);
  return dataOf<{ assistant_message_id: string }>(res.events[0]).assistant_message_id;
}

/** The numeric ids of a result's events. */
export const idsOf = (res: SseResult): number[] => res.events.map((e) => Number(e.id));

/** The delta texts of a result, joined. */
export const deltaText = (res: SseResult): string =>
  res.events
    .filter((e) => e.event === 'delta')
    .map((e) => dataOf<{ text: string }>(e).text)
    .join('');

/**
 * Expects `resumed` to carry exactly the events after the last one of `first`: ids contiguous from there,
 * none repeated, none missing, ending with `final`. Returns the whole answer's delta text.
 */
export function expectExactlyOnce(first: SseResult, resumed: SseResult, final = 'message.completed'): string {
  const before = idsOf(first);
  const after = idsOf(resumed);
  const last = before.at(-1) ?? 0;
  expect({ before, after }).toEqual({
    before: before.map((_, i) => i + 1),
    after: after.map((_, i) => last + i + 1),
  });
  expect(resumed.events.at(-1)?.event).toBe(final);
  return deltaText(first) + deltaText(resumed);
}

/** Forty words in twenty chunks: an answer slow enough to resume, stop or interrupt (with `delayMs`). */
export const SLOW_ANSWER = Array.from({ length: 40 }, (_, i) => `word${i + 1}`).join(' ');

/** A server answering through the OpenAI wire fake: no retries, a 10 s timeout, logins unthrottled. */
export function openAiEnv(openai: OpenAiFake, more: Record<string, string> = {}): Record<string, string> {
  return {
    ...openAiFakeEnv(openai.baseUrl),
    LLM_TIMEOUT_MS: '10000',
    LOGIN_MAX_FAILURES: '1000',
    ...more,
  };
}

/**
 * Starts a streamed turn and reads it to its end (`done`); `answerId` resolves once `deltas` deltas have
 * arrived, for a stop or a resume while the answer is being generated.
 */
export function streamPastDeltas(
  baseUrl: string,
  auth: string,
  sessionId: string,
  content: string,
  deltas: number,
): { answerId: Promise<string>; done: Promise<SseResult> } {
  const answerId = deferred<string>();
  let seen = 0;
  const done = streamMessage(baseUrl, auth, sessionId, content, {
    onEvent: (e) => {
      if (e.event === 'delta' && ++seen === deltas)
        answerId.resolve(dataOf<{ message_id: string }>(e).message_id);
    },
  });
  return { answerId: answerId.promise, done };
}

/** A streamed turn whose client drops the connection after its `deltas`-th delta, as a phone that changes network. */
export function dropAfterDeltas(
  baseUrl: string,
  auth: string,
  sessionId: string,
  content: string,
  deltas: number,
  headers: Record<string, string> = {},
): Promise<SseResult> {
  let seen = 0;
  return streamMessage(baseUrl, auth, sessionId, content, {
    headers,
    abortWhen: (e) => e.event === 'delta' && ++seen === deltas,
  });
}
