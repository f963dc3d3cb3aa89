import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import {
  allMessages,
  ChatUser,
  createSession,
  echoAnswer,
  echoSaw,
  expectFieldProblem,
  expectMessageShape,
  expectProblem,
  MessageBody,
  messagesUrl,
  newUser,
  Page,
  sendMessage,
  SESSIONS,
} from './utils/chat-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

describe('messages: /api/v1/chat-sessions/:id/messages (echo provider)', () => {
  let t: TestApp;
  let http: TestAgent;
  let user: ChatUser;

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    http = t.http;
    user = await newUser(http, 'msg');
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (sessionId: string, body: unknown) =>
    http
      .post(messagesUrl(sessionId))
      .set('Authorization', user.auth)
      .send(body as object);
  const getSession = async (id: string) =>
    (await http.get(`${SESSIONS}/${id}`).set('Authorization', user.auth)).body;

  describe('sending', () => {
    it('POST {content} → 201 {user_message, assistant_message} with the message shape', async () => {
      const session = await createSession(http, user.auth);
      const res = await post(session.id, { content: 'Hello, echo!' });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(['assistant_message', 'user_message']);
      const { user_message: question, assistant_message: answer } = res.body as {
        user_message: MessageBody;
        assistant_message: MessageBody;
      };
      expectMessageShape(question);
      expectMessageShape(answer);
      expect(question).toMatchObject({
        session_id: session.id,
        role: 'user',
        content: 'Hello, echo!',
        status: 'complete',
        error: null,
      });
      expect(answer).toMatchObject({
        session_id: session.id,
        role: 'assistant',
        status: 'complete',
        provider: 'echo',
        model: 'echo',
        error: null,
      });
      expect(answer.id).not.toBe(question.id);
      expect(answer.usage).toEqual({
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
      });
      expect(answer.usage?.prompt_tokens).toBeGreaterThan(0);
      expect(answer.usage?.completion_tokens).toBeGreaterThan(0);
      expect(Date.parse(answer.created_at)).toBeGreaterThanOrEqual(Date.parse(question.created_at));
    });

    it('the answer says it comes from the echo provider and repeats the message', async () => {
      const session = await createSession(http, user.auth);
      const { assistant_message: answer } = await sendMessage(http, user.auth, session.id, 'ping');
      expect(answer.content).toMatch(/echo provider/i);
      expect(answer.content).toBe(echoAnswer('ping', 0));
    });

    it('memory: the second message sees the 2 earlier messages, the third sees 4', async () => {
      const session = await createSession(http, user.auth);
      const first = await sendMessage(http, user.auth, session.id, 'My name is Ada.');
      expect(first.assistant_message.content).toMatch(echoSaw(0));
      const second = await sendMessage(http, user.auth, session.id, 'What is my name?');
      expect(second.assistant_message.content).toMatch(echoSaw(2));
      expect(second.assistant_message.content).toBe(echoAnswer('What is my name?', 2));
      const third = await sendMessage(http, user.auth, session.id, 'And again?');
      expect(third.assistant_message.content).toMatch(echoSaw(4));
    });

    it("the session's system prompt reaches the provider", async () => {
      const session = await createSession(http, user.auth, { system_prompt: 'Answer like a pirate.' });
      const { assistant_message: answer } = await sendMessage(http, user.auth, session.id, 'Ahoy');
      expect(answer.content).toContain('System prompt: "Answer like a pirate."');
    });

    it('an untitled session gets its title from the first message; message_count counts both messages', async () => {
      const session = await createSession(http, user.auth);
      expect(session.title).toBeNull();
      await sendMessage(http, user.auth, session.id, 'Plan a weekend in Lisbon');
      const after = await getSession(session.id);
      expect(after.title).toBe('Plan a weekend in Lisbon');
      expect(after.message_count).toBe(2);
      await sendMessage(http, user.auth, session.id, 'Something else entirely');
      const later = await getSession(session.id);
      expect(later.title).toBe('Plan a weekend in Lisbon');
      expect(later.message_count).toBe(4);
    });

    it('a long first message gives a short title taken from its start', async () => {
      const session = await createSession(http, user.auth);
      const content = `Tell me about ${'the history of computing '.repeat(20)}`;
      await sendMessage(http, user.auth, session.id, content);
      const after = await getSession(session.id);
      expect(typeof after.title).toBe('string');
      expect(after.title.length).toBeGreaterThan(0);
      expect(after.title.length).toBeLessThanOrEqual(200);
      expect(content.startsWith(after.title.replace(/…$/, '').trimEnd())).toBe(true);
    });

    it('a title cut at an emoji does not split it (no U+FFFD in its place)', async () => {
      for (const emoji of ['😀', '👩‍👩‍👧', '🇵🇹']) {
        const session = await createSession(http, user.auth);
        await sendMessage(http, user.auth, session.id, `${'a'.repeat(58)}${emoji} and more words after it`);
        expect((await getSession(session.id)).title).toBe(`${'a'.repeat(58)}…`);
      }
    });

    it('a session with a title keeps it', async () => {
      const session = await createSession(http, user.auth, { title: 'Named by me' });
      await sendMessage(http, user.auth, session.id, 'first message');
      expect((await getSession(session.id)).title).toBe('Named by me');
    });

    it('content of exactly 100,000 characters → 201', async () => {
      const session = await createSession(http, user.auth);
      const content = 'a'.repeat(100_000);
      const res = await post(session.id, { content });
      expect(res.status).toBe(201);
      expect(res.body.user_message.content).toHaveLength(100_000);
    });

    it('keeps unicode content intact', async () => {
      const session = await createSession(http, user.auth);
      const content = 'Grüße 👋 — 日本語 "quoted" \\ back\nslash';
      const { user_message: question, assistant_message: answer } = await sendMessage(
        http,
        user.auth,
        session.id,
        content,
      );
      expect(question.content).toBe(content);
      expect(answer.content).toContain(content);
    });
  });

  describe('validation: → 400 problem naming content, never 500', () => {
    it.each<[string, unknown]>([
      ['missing', {}],
      ['empty', { content: '' }],
      ['blank', { content: '   ' }],
      ['blank with newlines and tabs', { content: '\n\t \n' }],
      ['over 100,000 characters', { content: 'a'.repeat(100_001) }],
      ['with a NUL byte', { content: 'a\u0000b' }],
      ['a number', { content: 42 }],
      ['null', { content: null }],
      ['an array', { content: ['hi'] }],
      ['an object', { content: { text: 'hi' } }],
    ])('content %s', async (_label, body) => {
      const session = await createSession(http, user.auth);
      const res = await post(session.id, body);
      expectFieldProblem(res, 'content');
      // nothing is stored for a rejected message
      expect((await getSession(session.id)).message_count).toBe(0);
    });

    it('an unknown extra field → 400 naming it', async () => {
      const session = await createSession(http, user.auth);
      const res = await post(session.id, { content: 'hi', role: 'assistant' });
      expectFieldProblem(res, 'role');
    });

    it('a wrong content type → 400 or 415 problem, nothing stored', async () => {
      const session = await createSession(http, user.auth);
      const res = await http
        .post(messagesUrl(session.id))
        .set('Authorization', user.auth)
        .set('Content-Type', 'text/plain')
        .send('hello');
      expect([400, 415]).toContain(res.status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((await getSession(session.id)).message_count).toBe(0);
    });

    it('a JSON body that is not an object (array, string) → 400, never 500', async () => {
      const session = await createSession(http, user.auth);
      for (const raw of ['["hello"]', '"hello"', 'null', '42']) {
        const res = await http
          .post(messagesUrl(session.id))
          .set('Authorization', user.auth)
          .set('Content-Type', 'application/json')
          .send(raw);
        expect({ raw, status: res.status }).toEqual({ raw, status: 400 });
      }
    });

    it('malformed JSON → 400 problem', async () => {
      const session = await createSession(http, user.auth);
      const res = await http
        .post(messagesUrl(session.id))
        .set('Authorization', user.auth)
        .set('Content-Type', 'application/json')
        .send('{"content": "unterminated');
      expectProblem(res, 400);
    });
  });

  describe('listing', () => {
    it('GET → 200 {data, next_cursor} oldest first, user then assistant', async () => {
      const session = await createSession(http, user.auth);
      const turns = [];
      for (const content of ['one', 'two', 'three'])
        turns.push(await sendMessage(http, user.auth, session.id, content));
      const res = await http.get(messagesUrl(session.id)).set('Authorization', user.auth);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['data', 'next_cursor']);
      expect(res.body.next_cursor).toBeNull();
      const data = res.body.data as MessageBody[];
      data.forEach(expectMessageShape);
      expect(data.map((m) => m.id)).toEqual(
        turns.flatMap((t) => [t.user_message.id, t.assistant_message.id]),
      );
      expect(data.map((m) => m.role)).toEqual([
        'user',
        'assistant',
        'user',
        'assistant',
        'user',
        'assistant',
      ]);
      expect(data.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['one', 'two', 'three']);
      expect(data[1]).toEqual(turns[0].assistant_message);
    });

    it('an empty session lists no messages', async () => {
      const session = await createSession(http, user.auth);
      const res = await http.get(messagesUrl(session.id)).set('Authorization', user.auth);
      expect(res.body).toEqual({ data: [], next_cursor: null });
    });

    it('keyset pagination: default limit 50, then the rest; with limit=4 pages of 4 and no duplicates', async () => {
      const session = await createSession(http, user.auth);
      for (let i = 0; i < 26; i += 1) await sendMessage(http, user.auth, session.id, `message ${i}`);

      const first = await http.get(messagesUrl(session.id)).set('Authorization', user.auth);
      expect(first.body.data).toHaveLength(50);
      expect(typeof first.body.next_cursor).toBe('string');
      const rest = await http
        .get(messagesUrl(session.id))
        .set('Authorization', user.auth)
        .query({ cursor: first.body.next_cursor });
      expect(rest.status).toBe(200);
      expect(rest.body.data).toHaveLength(2);
      expect(rest.body.next_cursor).toBeNull();
      const everything = [...first.body.data, ...rest.body.data] as MessageBody[];
      expect(everything.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(
        Array.from({ length: 26 }, (_, i) => `message ${i}`),
      );

      const sizes: number[] = [];
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const query: Record<string, string | number> = cursor ? { limit: 4, cursor } : { limit: 4 };
        const res = await http.get(messagesUrl(session.id)).set('Authorization', user.auth).query(query);
        expect(res.status).toBe(200);
        const page = res.body as Page<MessageBody>;
        sizes.push(page.data.length);
        ids.push(...page.data.map((m) => m.id));
        cursor = page.next_cursor;
      } while (cursor && sizes.length < 30);
      expect(sizes).toEqual([...Array<number>(13).fill(4)]);
      expect(ids).toEqual(everything.map((m) => m.id));
      expect(new Set(ids).size).toBe(52);
    });

    it('limit=100 returns up to 100; limit=1 returns one', async () => {
      const session = await createSession(http, user.auth);
      await sendMessage(http, user.auth, session.id, 'x');
      const one = await http.get(messagesUrl(session.id)).set('Authorization', user.auth).query({ limit: 1 });
      expect(one.body.data).toHaveLength(1);
      expect(one.body.data[0].role).toBe('user');
      expect(typeof one.body.next_cursor).toBe('string');
      const hundred = await http
        .get(messagesUrl(session.id))
        .set('Authorization', user.auth)
        .query({ limit: 100 });
      expect(hundred.body.data).toHaveLength(2);
    });

    it.each([
      [{ limit: '0' }, 'limit'],
      [{ limit: '101' }, 'limit'],
      [{ limit: 'abc' }, 'limit'],
      [{ cursor: 'garbage!!!' }, 'cursor'],
      [{ cursor: Buffer.from('["not-a-seq"]').toString('base64url') }, 'cursor'],
    ])('GET with %j → 400 naming the parameter', async (query, field) => {
      const session = await createSession(http, user.auth);
      const res = await http.get(messagesUrl(session.id)).set('Authorization', user.auth).query(query);
      expectFieldProblem(res, field);
    });

    it("a cursor from another session's listing does not leak that session's messages", async () => {
      const a = await createSession(http, user.auth);
      const b = await createSession(http, user.auth);
      for (let i = 0; i < 2; i += 1) await sendMessage(http, user.auth, a.id, `a${i}`);
      await sendMessage(http, user.auth, b.id, 'b0');
      const pageA = await http.get(messagesUrl(a.id)).set('Authorization', user.auth).query({ limit: 1 });
      const res = await http
        .get(messagesUrl(b.id))
        .set('Authorization', user.auth)
        .query({ cursor: pageA.body.next_cursor });
      expect([200, 400]).toContain(res.status);
      if (res.status === 200) {
        for (const m of res.body.data as MessageBody[]) expect(m.session_id).toBe(b.id);
      }
    });
  });

  describe('concurrency', () => {
    it('8 messages in parallel to one session → all 201; 16 messages, each answer after its own question', async () => {
      const session = await createSession(http, user.auth);
      const contents = Array.from({ length: 8 }, (_, i) => `parallel question ${i}`);
      const responses = await Promise.all(contents.map((content) => post(session.id, { content })));
      expect(responses.map((r) => r.status)).toEqual(Array<number>(8).fill(201));
      for (const [i, res] of responses.entries()) {
        expect(res.body.user_message.content).toBe(contents[i]);
        expect(res.body.assistant_message.content).toContain(`you said "${contents[i]}"`);
      }

      const messages = await allMessages(http, user.auth, session.id);
      expect(messages).toHaveLength(16);
      expect((await getSession(session.id)).message_count).toBe(16);
      for (const content of contents) {
        const questionAt = messages.findIndex((m) => m.role === 'user' && m.content === content);
        const answerAt = messages.findIndex(
          (m) => m.role === 'assistant' && m.content.includes(`you said "${content}"`),
        );
        expect({ content, questionFound: questionAt >= 0, answerFound: answerAt >= 0 }).toEqual({
          content,
          questionFound: true,
          answerFound: true,
        });
        expect({ content, answerAfterQuestion: answerAt > questionAt }).toEqual({
          content,
          answerAfterQuestion: true,
        });
      }
      expect(new Set(messages.map((m) => m.id)).size).toBe(16);
    });

    it('parallel messages to different sessions each see only their own history', async () => {
      const sessions = await Promise.all(Array.from({ length: 4 }, () => createSession(http, user.auth)));
      for (const s of sessions) await sendMessage(http, user.auth, s.id, `warm-up ${s.id}`);
      const answers = await Promise.all(
        sessions.map((s) => sendMessage(http, user.auth, s.id, `second ${s.id}`)),
      );
      for (const answer of answers) expect(answer.assistant_message.content).toMatch(echoSaw(2));
    });
  });
});
