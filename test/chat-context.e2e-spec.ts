import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config.js';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { typeOrmOptions } from '../src/database/typeorm-options.js';
import { OpenAiFake, type OpenAiMessage } from './fakes/openai-fake.js';
import { createSession, newUser, sendMessage } from './utils/chat-helpers.js';
import { startServer, startTestApp, type TestApp } from './utils/test-app.js';

/**
 * The context a turn sends is found through each session's running total of complete turns: these
 * check that the totals stay right when turns finish at once, and when an existing database is migrated.
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

  const contents = (messages: OpenAiMessage[] | undefined) => (messages ?? []).map((m) => m.content);

  describe('turns answered at the same time in one session', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(providerEnv);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('all reach the next context, each question once and followed by its own answer', async () => {
      const user = await newUser(t.http, 'ctx');
      const session = await createSession(t.http, user.auth);
      const questions = Array.from({ length: 8 }, (_, i) => `concurrent question ${i}`);
      const turns = await Promise.all(questions.map((q) => sendMessage(t.http, user.auth, session.id, q)));
      const answerOf = new Map(
        turns.map((turn) => [turn.user_message.content, turn.assistant_message.content]),
      );

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

  describe('a database with conversations, migrated to the running totals', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(providerEnv);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('counts the turns answered before the migration, failed ones left out, within the budget', async () => {
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

/** Reverts the newest migration on a test database while no server holds it. */
async function undoLastMigration(env: Record<string, string>): Promise<void> {
  const embedded = env.DATA_DIR ? await EmbeddedPostgres.start(env.DATA_DIR) : undefined;
  try {
    const dataSource = new DataSource(typeOrmOptions(loadConfig({ NODE_ENV: 'test', ...env }), embedded));
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
