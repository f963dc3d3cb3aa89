import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config.js';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { typeOrmOptions } from '../src/database/typeorm-options.js';
import { OpenAiFake, type OpenAiMessage } from './fakes/openai-fake.js';
import { sleep } from './utils/auth-helpers.js';
import {
  allMessages,
  createSession,
  messagesUrl,
  newUser,
  type SessionBody,
  sendMessage,
  SESSIONS,
} from './utils/chat-helpers.js';
import { startServer, startTestApp, type TestApp, usingPostgresServer } from './utils/test-app.js';

/**
 * The context a turn sends is found through each session's running total of complete turns, so that a
 * turn reads only the turns that can fit, however long the history.
 * These check that the contexts stay exactly the newest turns that fit: as the window slides and the
 * budget changes, when turns finish at once, when another server answers in the same session, and when
 * an existing database is migrated.
 */
describe('the context of a turn, read through the running totals of complete turns', () => {
  const openai = new OpenAiFake();
  let providerEnv: Record<string, string>;

  beforeAll(async () => {
    const { baseUrl } = await openai.start();
    providerEnv = {
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: `${baseUrl}/v1`,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
      JWT_SECRET: randomBytes(32).toString('hex'), // the same across a restart, so that tokens stay valid
    };
  });
  afterAll(async () => {
    await openai.stop();
  });
  beforeEach(() => openai.reset());

  /** A server of its own for the tests of the enclosing describe, on the fake; closed after them. */
  function serverForDescribe(): () => TestApp {
    let t: TestApp | undefined;
    beforeAll(async () => {
      t = await startTestApp(providerEnv);
    });
    afterAll(async () => {
      await t?.close();
    });
    return () => {
      if (!t) throw new Error('the server did not start');
      return t;
    };
  }

  const contents = (messages: OpenAiMessage[] | undefined) => (messages ?? []).map((m) => m.content);

  /**
   * Sends `question` through the server at `baseUrl` with the fake answering `answer`, expects the context
   * the fake received to be the model's (when `check`), and records the turn in the model.
   */
  async function turn(
    baseUrl: string,
    auth: string,
    sessionId: string,
    model: ContextModel,
    [question, answer]: [string, string],
    check = true,
  ): Promise<void> {
    openai.reply(answer);
    const res = await fetch(`${baseUrl}${messagesUrl(sessionId)}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ content: question }),
    });
    expect(res.status).toBe(201);
    if (check) expect(contents(openai.lastRequest?.body?.messages)).toEqual(model.expected(question));
    model.answered(question, answer);
  }

  describe('a long conversation', () => {
    let small: TestApp; // LLM_CONTEXT_TOKENS=400: a few turns fit
    let large: TestApp; // LLM_CONTEXT_TOKENS=50000: more than 200 short turns fit
    beforeAll(async () => {
      [small, large] = await Promise.all([
        startTestApp({ ...providerEnv, LLM_CONTEXT_TOKENS: '400' }),
        startTestApp({ ...providerEnv, LLM_CONTEXT_TOKENS: '50000' }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([small?.close(), large?.close()]);
    });

    it('sends exactly the newest turns that fit, every turn, as the budget shrinks and grows', async () => {
      const user = await newUser(small.http, 'slide');
      const session = await createSession(small.http, user.auth);
      const model = new ContextModel(400);
      const ask = (question: string) =>
        turn(small.baseUrl, user.auth, session.id, model, [
          question,
          `answer to ${question.slice(0, 12)} ${'z'.repeat(question.length % 70)}`,
        ]);
      const question = (i: number) => `q${i} ${'w'.repeat((i * 37) % 160)}`; // budgets vary with the length
      for (let i = 0; i < 14; i += 1) await ask(question(i));

      // A system prompt takes its share of the budget: the oldest turns drop out of the context.
      const prompt = `Answer as a pirate. ${'p'.repeat(500)}`;
      await patchSystemPrompt(small, user.auth, session.id, prompt);
      model.systemPrompt = prompt;
      for (let i = 14; i < 18; i += 1) await ask(question(i));

      // A failed turn is left out of every later context. Its long question left little room for
      // earlier turns, and the next, short one has room for more than that question's context held.
      openai.fail(500);
      await small.http
        .post(messagesUrl(session.id))
        .set('Authorization', user.auth)
        .send({ content: `this one fails ${'f'.repeat(1_200)}` })
        .expect(502);
      await ask('short');

      // Without it the budget grows again: turns older than the last context come back.
      await patchSystemPrompt(small, user.auth, session.id, null);
      model.systemPrompt = null;
      for (let i = 18; i < 24; i += 1) await ask(question(i));
    });

    it('sends the newest 200 turns, however many more fit the budget', async () => {
      const user = await newUser(large.http, 'many');
      const session = await createSession(large.http, user.auth);
      const model = new ContextModel(50_000, 200);
      for (let i = 0; i < 206; i += 1)
        await turn(large.baseUrl, user.auth, session.id, model, [`c${i}`, `a${i}`], i >= 198);
    });
  });

  (usingPostgresServer ? describe : describe.skip)('two servers answering in the same session', () => {
    let t: TestApp;
    let other: Awaited<ReturnType<typeof startServer>>;
    beforeAll(async () => {
      t = await startTestApp({ ...providerEnv, LLM_CONTEXT_TOKENS: '400' });
      other = await startServer(t.env); // the same database and secret: a second instance
    });
    afterAll(async () => {
      await other?.stop();
      await t?.close();
    });

    it('each sends the turns the other answered', async () => {
      const user = await newUser(t.http, 'pair');
      const session = await createSession(t.http, user.auth);
      const model = new ContextModel(400);
      for (let i = 0; i < 12; i += 1) {
        const baseUrl = i % 3 === 2 ? t.baseUrl : other.baseUrl; // uneven, so each misses runs of turns
        await turn(baseUrl, user.auth, session.id, model, [
          `turn ${i} ${'v'.repeat((i * 29) % 90)}`,
          `answer ${i} ${'u'.repeat((i * 13) % 60)}`,
        ]);
      }
    });
  });

  describe('turns answered at the same time in one session', () => {
    const server = serverForDescribe();

    it('all reach the next context, each question once and followed by its own answer', async () => {
      const t = server();
      const user = await newUser(t.http, 'ctx');
      const session = await createSession(t.http, user.auth);
      const questions = Array.from({ length: 8 }, (_, i) => `concurrent question ${i}`);
      const turns = await Promise.all(questions.map((q) => sendMessage(t.http, user.auth, session.id, q)));
      const answerOf = new Map(
        turns.map((turn) => [turn.user_message.content, turn.assistant_message.content]),
      );

      // Stored as they were answered: each question straight before its own answer.
      const stored = await allMessages(t.http, user.auth, session.id);
      expect(stored).toHaveLength(2 * questions.length);
      for (let i = 0; i < stored.length; i += 2) {
        expect(stored[i]?.role).toBe('user');
        expect(stored[i + 1]?.content).toBe(answerOf.get(stored[i]?.content));
      }

      await sendMessage(t.http, user.auth, session.id, 'and now?');
      const sent = openai.lastRequest?.body?.messages ?? [];
      expect(sent.at(-1)).toEqual({ role: 'user', content: 'and now?' });
      const earlier = sent.slice(0, -1);
      expect(earlier).toHaveLength(2 * questions.length);
      expect(contents(earlier.filter((m) => m.role === 'user')).sort()).toEqual([...questions].sort());
      for (let i = 0; i < earlier.length; i += 2) {
        expect(earlier[i]?.role).toBe('user');
        expect(earlier[i + 1]).toEqual({
          role: 'assistant',
          content: answerOf.get(earlier[i]?.content as string),
        });
      }
    });
  });

  describe("a turn's storage", () => {
    const server = serverForDescribe();

    it('stores nothing while the answer is awaited, then the question and its answer together, in order', async () => {
      const t = server();
      const user = await newUser(t.http, 'store');
      const session = await createSession(t.http, user.auth);
      const first = await sendMessage(t.http, user.auth, session.id, 'first question');
      const shown = async () =>
        (await t.http.get(`${SESSIONS}/${session.id}`).set('Authorization', user.auth).expect(200))
          .body as SessionBody;
      const before = await shown();

      openai.reply('The slow answer.', { delayMs: 500 });
      const asked = openai.requests.length;
      const pending = sendMessage(t.http, user.auth, session.id, 'second question');
      while (openai.requests.length === asked) await sleep(10);
      const during = await shown();
      expect({ count: during.message_count, updatedAt: during.updated_at }).toEqual({
        count: 2,
        updatedAt: before.updated_at,
      });
      expect((await allMessages(t.http, user.auth, session.id)).map((m) => m.id)).toEqual([
        first.user_message.id,
        first.assistant_message.id,
      ]);

      const turn = await pending;
      const after = await shown();
      expect(after.message_count).toBe(4);
      const stored = await allMessages(t.http, user.auth, session.id);
      expect(stored.map((m) => [m.id, m.role, m.content])).toEqual([
        [first.user_message.id, 'user', 'first question'],
        [first.assistant_message.id, 'assistant', first.assistant_message.content],
        [turn.user_message.id, 'user', 'second question'],
        [turn.assistant_message.id, 'assistant', 'The slow answer.'],
      ]);
      // The question keeps the time it was asked at, before the answer's half a second.
      const askedAt = Date.parse(turn.user_message.created_at);
      const answeredAt = Date.parse(turn.assistant_message.created_at);
      expect(answeredAt - askedAt).toBeGreaterThanOrEqual(400);
      expect(Date.parse(after.updated_at) - askedAt).toBeGreaterThanOrEqual(400); // moved by the answer
    });
  });

  describe('a database with conversations, migrated to the running totals', () => {
    const server = serverForDescribe();

    it('counts the turns answered before the migration, failed ones left out, within the budget', async () => {
      const t = server();
      const user = await newUser(t.http, 'mig');
      const session = await createSession(t.http, user.auth);
      // Each complete turn costs 200 + 300 + 32 = 532 characters of the budget.
      const question = (i: number) => `${i}`.padEnd(200, '?');
      const answer = (i: number) => `${i}`.padEnd(300, '!');
      for (const i of [1, 2]) {
        openai.reply(answer(i));
        await sendMessage(t.http, user.auth, session.id, question(i));
      }
      openai.fail(500);
      await t.http
        .post(`/api/v1/chat-sessions/${session.id}/messages`)
        .set('Authorization', user.auth)
        .send({ content: 'this one fails' })
        .expect(502);
      openai.reply(answer(3));
      await sendMessage(t.http, user.auth, session.id, question(3));
      expect(await t.stop()).toBe(0);

      await undoLastMigration(t.env); // the schema and data as they were before the running totals

      // 300 tokens less "next?" (6) leave 1,176 characters: the newest two turns (1,064) fit, not three.
      const again = await startServer({ ...t.env, LLM_CONTEXT_TOKENS: '300' });
      try {
        openai.reset();
        const res = await fetch(`${again.baseUrl}/api/v1/chat-sessions/${session.id}/messages`, {
          method: 'POST',
          headers: { authorization: user.auth, 'content-type': 'application/json' },
          body: JSON.stringify({ content: 'next?' }),
        });
        expect(res.status).toBe(201);
        expect(contents(openai.lastRequest?.body?.messages)).toEqual([
          question(2),
          answer(2),
          question(3),
          answer(3),
          'next?',
        ]);
      } finally {
        expect(await again.stop()).toBe(0);
      }
    });
  });
});

/**
 * What the context should be, from the documented rule: the newest complete turns whose characters
 * (question + answer + 32 each) fit (LLM_CONTEXT_TOKENS - the question's and the system prompt's
 * estimated tokens) × 4, at most `maxTurns` of them, oldest first, then the question; the system prompt
 * is sent on its own.
 */
class ContextModel {
  systemPrompt: string | null = null;
  private readonly turns: { question: string; answer: string }[] = [];

  constructor(
    private readonly contextTokens: number,
    private readonly maxTurns = Infinity,
  ) {}

  answered(question: string, answer: string): void {
    this.turns.push({ question, answer });
  }

  expected(question: string): string[] {
    const tokens = (text: string) => Math.ceil(text.length / 4) + 4;
    const fixed = tokens(question) + (this.systemPrompt ? tokens(this.systemPrompt) : 0);
    let budget = Math.max(0, this.contextTokens - fixed) * 4;
    const kept: string[] = [];
    for (const turn of [...this.turns].reverse()) {
      budget -= turn.question.length + turn.answer.length + 32;
      if (budget < 0 || kept.length === 2 * this.maxTurns) break;
      kept.unshift(turn.question, turn.answer);
    }
    return [...(this.systemPrompt ? [this.systemPrompt] : []), ...kept, question];
  }
}

async function patchSystemPrompt(t: TestApp, auth: string, sessionId: string, prompt: string | null) {
  await t.http
    .patch(`${SESSIONS}/${sessionId}`)
    .set('Authorization', auth)
    .send({ system_prompt: prompt })
    .expect(200);
}

/** Undoes the last migration on a test database while no server holds it, through a pool of one connection. */
async function undoLastMigration(env: Record<string, string>): Promise<void> {
  const embedded = env.DATA_DIR ? await EmbeddedPostgres.start(env.DATA_DIR) : undefined;
  try {
    const config = loadConfig({ NODE_ENV: 'test', ...env, DB_POOL_SIZE: '1' });
    const dataSource = new DataSource(typeOrmOptions(config, embedded));
    await dataSource.initialize();
    try {
      await dataSource.undoLastMigration({ transaction: 'each' });
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await embedded?.stop();
  }
}
