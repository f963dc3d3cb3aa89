import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config.js';
import { analyzeStaleTables } from '../src/database/auto-analyze.js';
import { DataDirInUseError } from '../src/database/data-dir-lock.js';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { typeOrmOptions } from '../src/database/typeorm-options.js';
import request from 'supertest';
import { allMessages, createSession, newUser, sendMessage } from './utils/chat-helpers.js';
import { startServer, startTestApp, TestApp, usingPostgresServer } from './utils/test-app.js';

const PASSWORD = 'violet-Sunrise-47';

describe('embedded database: transactions through the pool of one', () => {
  let dataDir: string;
  let embedded: EmbeddedPostgres;
  let dataSource: DataSource;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chatbot-concurrency-'));
    embedded = await EmbeddedPostgres.start(dataDir);
    dataSource = new DataSource(typeOrmOptions(loadConfig({ DATA_DIR: dataDir }), embedded));
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE ledger (n integer PRIMARY KEY, note text NOT NULL)');
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await embedded?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every committed row when 100 concurrent transactions run and a third roll back', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, (_, n) =>
        dataSource.transaction(async (manager) => {
          await manager.query('INSERT INTO ledger (n, note) VALUES ($1, $2)', [n, 'first']);
          await new Promise((resolve) => setTimeout(resolve, n % 7)); // interleave with the others
          await manager.query('UPDATE ledger SET note = $2 WHERE n = $1', [n, 'second']);
          if (n % 3 === 0) throw new Error(`roll back ${n}`);
        }),
      ),
    );
    const committed = outcomes.flatMap((o, n) => (o.status === 'fulfilled' ? [n] : []));
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(34);
    const rows: { n: number; note: string }[] = await dataSource.query(
      'SELECT n, note FROM ledger ORDER BY n',
    );
    expect(rows.map((r) => r.n)).toEqual(committed);
    expect(rows.every((r) => r.note === 'second')).toBe(true);
  });

  it('analyzes a table once enough of it has changed, as autovacuum would, and not again until it changes', async () => {
    await dataSource.query('CREATE TABLE growing (n integer PRIMARY KEY)');
    await dataSource.query('ANALYZE growing');
    await dataSource.query('INSERT INTO growing SELECT generate_series(1, 40)');
    await dataSource.query('SELECT pg_stat_force_next_flush()');
    expect(await analyzeStaleTables(dataSource)).not.toContain('public.growing'); // 40 ≤ 50 + 10 %

    await dataSource.query('INSERT INTO growing SELECT generate_series(41, 500)');
    await dataSource.query('SELECT pg_stat_force_next_flush()');
    expect(await analyzeStaleTables(dataSource)).toContain('public.growing');
    const [stats]: { reltuples: number }[] = await dataSource.query(
      `SELECT reltuples FROM pg_class WHERE relname = 'growing'`,
    );
    expect(Number(stats.reltuples)).toBe(500); // the planner now knows the table's size

    await dataSource.query('SELECT pg_stat_force_next_flush()');
    expect(await analyzeStaleTables(dataSource)).not.toContain('public.growing');
  });

  it('initialises a new data directory in a process of its own, renamed into place whole', () => {
    // from src/ there is no build template (dist/embedded-template): initdb ran in a child process
    expect(existsSync(join(dataDir, 'pgdata', 'PG_VERSION'))).toBe(true);
    expect(readdirSync(dataDir).filter((name) => name.startsWith('pgdata.init-'))).toEqual([]);
  });

  it('refuses a second opener of the same data directory with a clear error', async () => {
    await expect(EmbeddedPostgres.start(dataDir)).rejects.toBeInstanceOf(DataDirInUseError);
    const second = spawnSync(process.execPath, ['dist/main.js'], {
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/already open in another process/);
    const stillThere: { count: string }[] = await dataSource.query('SELECT count(*) FROM ledger');
    expect(Number(stillThere[0].count)).toBe(66);
  });
});

describe('the server keeps its data across a restart', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('stops gracefully on SIGTERM and finds its users again after a restart', async () => {
    await t.http
      .post('/api/v1/auth/register')
      .send({ username: 'persistent', password: PASSWORD })
      .expect(201);
    expect(await t.stop()).toBe(0);
    const again = await startServer(t.env);
    try {
      const login = await fetch(`${again.baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'persistent', password: PASSWORD }),
      });
      expect(login.status).toBe(200);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });

  it(`runs on ${usingPostgresServer ? 'the PostgreSQL server' : 'the embedded database'}`, () => {
    expect(t.env[usingPostgresServer ? 'DATABASE_URL' : 'DATA_DIR']).toBeDefined();
  });
});

describe('the embedded default on a new data directory, as a first `npm start` runs', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'chatbot-first-start-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts from the build’s template, serves a turn, and serves the next after a restart', async () => {
    expect(existsSync('dist/embedded-template/pgdata/PG_VERSION')).toBe(true); // made by `npm run build`
    const env = { DATA_DIR: dataDir, JWT_SECRET: randomBytes(32).toString('hex') }; // no DATABASE_URL
    const first = await startServer(env);
    let auth: string;
    let sessionId: string;
    try {
      const http = request(first.baseUrl);
      auth = (await newUser(http, 'first')).auth;
      sessionId = (await createSession(http, auth)).id;
      await sendMessage(http, auth, sessionId, 'hello from a new data directory');
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect(readdirSync(dataDir)).toEqual(['pgdata']); // no half-made cluster beside it, the lock released
    expect(existsSync(join(dataDir, 'pgdata', 'PG_VERSION'))).toBe(true);

    const again = await startServer(env);
    try {
      const http = request(again.baseUrl);
      await sendMessage(http, auth, sessionId, 'hello again after a restart');
      const contents = (await allMessages(http, auth, sessionId)).map((m) => m.content);
      expect(contents).toEqual(
        expect.arrayContaining(['hello from a new data directory', 'hello again after a restart']),
      );
      expect(contents).toHaveLength(4);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });
});

describe('configuration', () => {
  it('stops start-up with a message naming a bad variable', () => {
    const run = spawnSync(process.execPath, ['dist/main.js'], {
      env: { PATH: process.env.PATH, PORT: 'not-a-port', LLM_PROVIDER: 'claude' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/PORT/);
    expect(run.stderr).toMatch(/LLM_PROVIDER/);
  });

  it('requires JWT_SECRET in production', () => {
    const run = spawnSync(process.execPath, ['dist/main.js'], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', DATA_DIR: join(tmpdir(), 'never-created') },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/JWT_SECRET/);
  });
});
