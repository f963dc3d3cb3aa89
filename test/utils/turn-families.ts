import type { Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { type ChatUser, messagesUrl, quickChatToken } from './chat-helpers.js';
import { requestSse, type SseResult } from './sse-client.js';

/** The answers to one turn of a user on each route family. */
export interface TurnOnEachFamily {
  /** Native, plain JSON, in the given session. */
  plain: Response;
  /** Native, `Accept: text/event-stream`, in the given session. */
  streamed: SseResult;
  /** Quick-chat `POST /api/v1/chat/` without a session (a new one), with the user's `Token`. */
  quick: Response;
  /** Sessions seed `POST /chatsessions/{id}/messages/`, in a seed session created for it. */
  seed: Response;
  /** The user's quick-chat token, for reading their quick-chat history after. */
  token: string;
}

/** One turn of `user` on every route family (the OpenAPI families: native plain and streamed, both seeds). */
export async function turnOnEachFamily(
  http: TestAgent,
  baseUrl: string,
  user: ChatUser,
  sessionId: string,
): Promise<TurnOnEachFamily> {
  const plain = await http
    .post(messagesUrl(sessionId))
    .set('Authorization', user.auth)
    .send({ content: 'Plain' });
  const streamed = await requestSse(`${baseUrl}${messagesUrl(sessionId)}`, {
    headers: { authorization: user.auth },
    body: { content: 'Streamed' },
  });
  const token = await quickChatToken(http, user.username);
  const quick = await http
    .post('/api/v1/chat/')
    .set('Authorization', `Token ${token}`)
    .send({ message: 'Quick' });
  const seedSession = await http
    .post('/chatsessions/')
    .set('Authorization', user.auth)
    .send({ title: 'Seed' });
  const seed = await http
    .post(`/chatsessions/${seedSession.body.id as string}/messages/`)
    .set('Authorization', user.auth)
    .send({ prompt: 'Seed' });
  return { plain, streamed, quick, seed, token };
}
