import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type QueryRunner } from 'typeorm';
import { loadConfig } from '../src/config/app-config.js';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { PLANNED_PER_CALL } from '../src/database/prepared-statements.js';
import { typeOrmOptions } from '../src/database/typeorm-options.js';
import { createSession, echoAnswer, newUser, sendMessage } from './utils/chat-helpers.js';
import { startTestApp, usingPostgresServer } from './utils/test-app.js';

const onPostgres = usingPostgresServer ? describe : describe.skip;

/** The database the app's TypeORM options connect to, with `env` as the app's settings. */
async function openDataSource(
  env: Record<string, string>,
): Promise<{ dataSource: DataSource; close(): Promise<void> }> {
  if (usingPostgresServer) {
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: process.env.DATABASE_URL as string, ...env });
    const dataSource = await new DataSource(typeOrmOptions(config)).initialize();
    return { dataSource, close: () => dataSource.destroy() };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'chatbot-prepared-'));
  const embedded = await EmbeddedPostgres.start(dataDir);
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, ...env });
  const dataSource = await new DataSource(typeOrmOptions(config, embedded)).initialize();
  return {
    dataSource,
    async close() {
      await dataSource.destroy();
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The statements prepared in the runner's own session (pg_prepared_statements shows no other session's). */
async function preparedTexts(runner: QueryRunner): Promise<string[]> {
  const rows = (await runner.query('SELECT statement FROM pg_prepared_statements ORDER BY prepare_time')) as {
    statement: string;
  }[];
  return rows.map((row) => row.statement);
}

/**
 * The ORM's parameterised queries go as named prepared statements of their connection (parsed and planned
 * once there), through the pool's client that typeOrmOptions gives TypeORM.
 */
describe('prepared statements through TypeORM', () => {
  let db: Awaited<ReturnType<typeof openDataSource>>;
  let runner: QueryRunner;

  beforeAll(async () => {
    db = await openDataSource({});
    runner = db.dataSource.createQueryRunner();
    await runner.connect();
  }, 60_000);

  afterAll(async () => {
    await runner?.release();
    await db?.close();
  });

  it('prepares a query with parameters once, and answers it each time', async () => {
    const text = 'SELECT $1::int + 1 AS next';
    expect(await runner.query(text, [1])).toEqual([{ next: 2 }]);
    expect(await runner.query(text, [41])).toEqual([{ next: 42 }]);
    expect((await preparedTexts(runner)).filter((statement) => statement === text)).toHaveLength(1);
  });

  it('leaves a query without parameters unprepared', async () => {
    const text = "SELECT 'plain' AS kind";
    expect(await runner.query(text)).toEqual([{ kind: 'plain' }]);
    expect(await preparedTexts(runner)).not.toContain(text);
  });

  it('prepares the repositories’ queries', async () => {
    await db.dataSource
      .createQueryBuilder(runner)
      .select('1', 'one')
      .from('pg_class', 'c')
      .where('c.relname = :name', { name: 'pg_class' })
      .getRawOne();
    expect((await preparedTexts(runner)).some((statement) => /relname = \$1/.test(statement))).toBe(true);
  });

  it('leaves a query marked as planned per call unprepared (full-text search: its plan depends on the words)', async () => {
    const text = `${PLANNED_PER_CALL} SELECT $1::int * 3 AS triple`;
    expect(await runner.query(text, [5])).toEqual([{ triple: 15 }]);
    expect(await preparedTexts(runner)).not.toContain(text);
  });

  // Last: it uses up the process's names.
  it('stops naming new texts after 500, so that generated ones cannot grow a connection without end', async () => {
    for (let i = 0; i < 510; i += 1)
      expect(await runner.query(`SELECT $1::int + ${i} AS n`, [1])).toEqual([{ n: 1 + i }]);
    const prepared = await preparedTexts(runner);
    expect(prepared.length).toBeLessThanOrEqual(500);
    expect(prepared).not.toContain('SELECT $1::int + 509 AS n');
  }, 60_000);
});

onPostgres('DB_PREPARED_STATEMENTS=false (a pooler that cannot keep them)', () => {
  it('sends the queries unnamed, and the app still answers', async () => {
    const db = await openDataSource({ DB_PREPARED_STATEMENTS: 'false' });
    const runner = db.dataSource.createQueryRunner();
    try {
      expect(await runner.query('SELECT $1::int * 2 AS double', [21])).toEqual([{ double: 42 }]);
      expect(await preparedTexts(runner)).toEqual([]);
    } finally {
      await runner.release();
      await db.close();
    }

    const app = await startTestApp({ DB_PREPARED_STATEMENTS: 'false' });
    try {
      const alice = await newUser(app.http, 'unprepared');
      const session = (await createSession(app.http, alice.auth)).id;
      const turn = await sendMessage(app.http, alice.auth, session, 'hello without prepared statements');
      expect(turn.assistant_message.content).toBe(echoAnswer('hello without prepared statements', 0));
    } finally {
      await app.close();
    }
  }, 60_000);
});
