import { expect } from '@jest/globals';
import type { OpenAiFake, OpenAiMessage } from '../fakes/openai-fake.js';
import {
  expectMessageShape,
  type MessageBody,
  messagesUrl,
  type Page,
  type SessionBody,
  SESSIONS,
  type Turn,
} from './chat-helpers.js';
import { createdQuestion, dataOf, eventNames, eventShape, requestSse, type SseResult } from './sse-client.js';
import type { TestApp } from './test-app.js';

/**
 * Helpers for the conversation-tree suites (chat-trees, stream-trees): one client that sends every kind
 * of turn (POST, edit, regenerate) either as plain JSON or as Server-Sent Events, with the checks each
 * kind of answer must pass, and a look at what the model received on the wire.
 */

/** How a turn is asked for: a plain JSON answer, or the answer streamed as Server-Sent Events. */
export type Mode = 'plain' | 'streamed';

/** One answer of the chat API, plain or streamed. */
export interface Reply {
  status: number;
  contentType: string;
  /** The JSON body (a plain answer or a problem); undefined for an event stream. */
  body: unknown;
  /** The events, when the answer is an event stream. */
  sse: SseResult | undefined;
  /** The whole body as text. */
  text: string;
}

export const user = (content: string): OpenAiMessage => ({ role: 'user', content });
export const assistant = (content: string): OpenAiMessage => ({ role: 'assistant', content });
/** A turn as the model should see it again in a later context: the question, then its answer. */
export const said = (turn: Turn): OpenAiMessage[] => [
  user(turn.user_message.content),
  assistant(turn.assistant_message.content),
];

export const ids = (messages: { id: string }[]): string[] => messages.map((m) => m.id);

/** The native API's turns (send, edit, regenerate), asked for in one mode. */
export class TreeChat {
  constructor(
    private readonly baseUrl: string,
    readonly mode: Mode,
  ) {}

  /** `POST …/messages {content, parent_id?}`; `parentId` undefined leaves `parent_id` out of the body. */
  send(auth: string, sessionId: string, content: unknown, parentId?: unknown): Promise<Reply> {
    const body = parentId === undefined ? { content } : { content, parent_id: parentId };
    return this.post(auth, messagesUrl(sessionId), body);
  }

  /** `POST …/messages/:messageId/edit {content, ...extra}` */
  edit(
    auth: string,
    sessionId: string,
    messageId: string,
    content: unknown,
    extra: object = {},
  ): Promise<Reply> {
    return this.post(auth, `${messagesUrl(sessionId)}/${messageId}/edit`, { content, ...extra });
  }

  /** `POST …/messages/:messageId/regenerate`, with `body` when given (none at all otherwise). */
  regenerate(auth: string, sessionId: string, messageId: string, body?: object): Promise<Reply> {
    return this.post(auth, `${messagesUrl(sessionId)}/${messageId}/regenerate`, body);
  }

  /** Sends `content` and expects a complete turn. */
  async turn(auth: string, sessionId: string, content: string, parentId?: string | null): Promise<Turn> {
    return this.expectTurn(await this.send(auth, sessionId, content, parentId));
  }

  /** Sends the questions one after the other; returns their turns. */
  async conversation(auth: string, sessionId: string, questions: string[]): Promise<Turn[]> {
    const turns: Turn[] = [];
    for (const question of questions) turns.push(await this.turn(auth, sessionId, question));
    return turns;
  }

  /**
   * Expects a complete turn in this mode's shape and returns its two messages: plain, 201 exactly
   * `{user_message, assistant_message}`; streamed, `message.created` (the question), the deltas of the
   * answer, then `message.completed` (the answer).
   */
  expectTurn(reply: Reply): Turn {
    const where = `${reply.status} ${reply.text.slice(0, 300)}`;
    let turn: Turn;
    if (this.mode === 'plain') {
      expect({ where, status: reply.status, contentType: reply.contentType }).toEqual({
        where,
        status: 201,
        contentType: expect.stringMatching(/^application\/json/),
      });
      expect(Object.keys(reply.body as object).sort()).toEqual(['assistant_message', 'user_message']);
      turn = reply.body as Turn;
    } else {
      const sse = reply.sse;
      expect({ where, status: reply.status, contentType: reply.contentType, ended: sse?.ended }).toEqual({
        where,
        status: 200,
        contentType: expect.stringMatching(/^text\/event-stream/),
        ended: 'end',
      });
      const result = sse as SseResult;
      expect({ where, events: eventShape(result) }).toEqual({
        where,
        events: ['message.created', 'delta…', 'message.completed'],
      });
      turn = {
        user_message: createdQuestion<MessageBody>(result.events[0]),
        assistant_message: dataOf<MessageBody>(result.events.at(-1)),
      };
      const deltas = result.events.filter((e) => e.event === 'delta').map((e) => dataOf(e));
      for (const delta of deltas) expect(delta.message_id).toBe(turn.assistant_message.id);
      expect(deltas.map((d) => d.text).join('')).toBe(turn.assistant_message.content);
    }
    expectMessageShape(turn.user_message);
    expectMessageShape(turn.assistant_message);
    expect(turn.user_message).toMatchObject({ role: 'user', status: 'complete' });
    expect(turn.assistant_message).toMatchObject({
      role: 'assistant',
      status: 'complete',
      parent_id: turn.user_message.id,
    });
    return turn;
  }

  /**
   * Expects a turn whose provider failed with `status`: plain, a problem with that status; streamed, a
   * stream that ends with an `error` event carrying it.
   */
  expectFailedTurn(reply: Reply, status = 502): void {
    if (this.mode === 'plain') {
      expectProblemReply(reply, status);
      return;
    }
    expect({ status: reply.status, contentType: reply.contentType }).toEqual({
      status: 200,
      contentType: expect.stringMatching(/^text\/event-stream/),
    });
    const result = reply.sse as SseResult;
    expect(eventNames(result)[0]).toBe('message.created');
    expect(eventNames(result).at(-1)).toBe('error');
    expect(dataOf(result.events.at(-1))).toMatchObject({ status });
  }

  private async post(auth: string, path: string, body: unknown): Promise<Reply> {
    const url = `${this.baseUrl}${path}`;
    if (this.mode === 'streamed') {
      const sse = await requestSse(url, { headers: { authorization: auth }, body });
      const contentType = sse.headers.get('content-type') ?? '';
      const json = contentType.includes('json') && sse.text ? (JSON.parse(sse.text) as unknown) : undefined;
      return { status: sse.status, contentType, body: json, sse, text: sse.text };
    }
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: auth,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    const json = contentType.includes('json') && text ? (JSON.parse(text) as unknown) : undefined;
    return { status: res.status, contentType, body: json, sse: undefined, text };
  }
}

/** Expects a problem+json answer with `status` (before any stream opened: no events). */
export function expectProblemReply(reply: Reply, status: number): void {
  expect({
    status: reply.status,
    contentType: reply.contentType,
    events: reply.sse?.events.map((e) => e.event) ?? [],
    body: reply.text.slice(0, 300),
  }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
    events: [],
    body: expect.any(String),
  });
  expect(reply.body).toMatchObject({ status, detail: expect.any(String) });
}

/** Expects a 400 problem whose `errors[]` names `field`. */
export function expectFieldReply(reply: Reply, field: string): void {
  expectProblemReply(reply, 400);
  const errors = (reply.body as { errors?: { field: string }[] }).errors ?? [];
  expect({ fields: errors.map((e) => e.field), text: reply.text }).toEqual({
    fields: expect.arrayContaining([field]),
    text: reply.text,
  });
}

/** Expects a message to be the `index`-th (0-based) of exactly these siblings, oldest first. */
export function expectSiblings(message: MessageBody, siblings: string[], index: number): void {
  expect({
    id: message.id,
    sibling_ids: message.sibling_ids,
    sibling_index: message.sibling_index,
    sibling_count: message.sibling_count,
  }).toEqual({
    id: siblings[index],
    sibling_ids: siblings,
    sibling_index: index,
    sibling_count: siblings.length,
  });
}

/** The model's side: what the OpenAI fake received during an action. */
export class Wire {
  constructor(
    private readonly fake: OpenAiFake,
    private readonly mode: Mode,
  ) {}

  /** The same fake seen from turns asked for in another mode (the seed routes' are plain). */
  as(mode: Mode): Wire {
    return new Wire(this.fake, mode);
  }

  /**
   * Runs `action` and returns its result with the messages of each request the model received meanwhile,
   * after checking each request streamed (or not) as the mode says.
   */
  async during<T>(action: () => Promise<T>): Promise<[T, OpenAiMessage[][]]> {
    const before = this.fake.requests.length;
    const result = await action();
    const requests = this.fake.requests.slice(before);
    for (const request of requests) expect(request.body?.stream === true).toBe(this.mode === 'streamed');
    return [result, requests.map((r) => r.body?.messages ?? [])];
  }

  /** Runs `action`, expects the model to have received exactly one request with `messages`; returns the result. */
  async expectOne<T>(messages: OpenAiMessage[], action: () => Promise<T>): Promise<T> {
    const [result, sent] = await this.during(action);
    expect(sent).toEqual([messages]);
    return result;
  }

  /** Runs `action` and expects no request to reach the model. */
  async expectNone<T>(action: () => Promise<T>): Promise<T> {
    const [result, sent] = await this.during(action);
    expect(sent).toEqual([]);
    return result;
  }
}

/** Native reads and the branch switch, the same in both modes. */
export class TreeReads {
  constructor(private readonly app: TestApp) {}

  async session(auth: string, sessionId: string): Promise<SessionBody> {
    const res = await this.app.http.get(`${SESSIONS}/${sessionId}`).set('Authorization', auth);
    expect(res.status).toBe(200);
    return res.body as SessionBody;
  }

  /** One page of `GET …/messages`, with `leaf` when given. */
  async page(
    auth: string,
    sessionId: string,
    query: { leaf?: string; limit?: number; cursor?: string },
  ): Promise<Page<MessageBody>> {
    const res = await this.app.http.get(messagesUrl(sessionId)).set('Authorization', auth).query(query);
    expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 200 });
    return res.body as Page<MessageBody>;
  }

  /** The whole path shown (the active one, or the one ending at `leaf`), following `next_cursor`. */
  async path(auth: string, sessionId: string, leaf?: string, limit = 100): Promise<MessageBody[]> {
    const messages: MessageBody[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages += 1) {
      const page = await this.page(auth, sessionId, {
        limit,
        ...(leaf ? { leaf } : {}),
        ...(cursor ? { cursor } : {}),
      });
      for (const message of page.data) expectMessageShape(message);
      messages.push(...page.data);
      if (!page.next_cursor) return messages;
      cursor = page.next_cursor;
    }
    throw new Error('too many pages');
  }

  /** `PATCH /chat-sessions/:id {active_leaf_id}` → the raw answer. */
  patchLeaf(auth: string, sessionId: string, activeLeafId: unknown) {
    return this.app.http
      .patch(`${SESSIONS}/${sessionId}`)
      .set('Authorization', auth)
      .send({ active_leaf_id: activeLeafId });
  }

  /** Selects the branch through `messageId`; expects 200 and returns the session. */
  async switchTo(auth: string, sessionId: string, messageId: string): Promise<SessionBody> {
    const res = await this.patchLeaf(auth, sessionId, messageId);
    expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 200 });
    return res.body as SessionBody;
  }
}
