import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import pg from 'pg';
import TestAgent from 'supertest/lib/agent.js';
import { sleep } from './utils/auth-helpers.js';
import {
  allMessages,
  bearer,
  createSession,
  messagesUrl,
  newUser,
  openAiFakeEnv,
  seedAccessToken,
  SESSIONS,
  type ChatUser,
  type MessageBody,
} from './utils/chat-helpers.js';
import { OpenAiFake } from './fakes/openai-fake.js';
import { FaultProxy } from './utils/fault-proxy.js';
import {
  dataOf,
  deferred,
  deltaTexts,
  eventShape,
  streamMessage,
  type SseEvent,
} from './utils/sse-client.js';
import { isRunning, startTestApp, TestApp, usingPostgresServer } from './utils/test-app.js';

/** Database faults need a PostgreSQL server: the embedded database lives inside the app's own process. */
const onPostgres = usingPostgresServer ? describe : describe.skip;

/** One request's outcome: its status, or the network error when no answer came. */
interface Outcome {
  what: string;
  path: string;
  status?: number;
  contentType?: string | null;
  retryAfter?: string | null;
  body?: string;
  networkError?: string;
}

async function call(baseUrl: string, what: string, path: string, init: RequestInit = {}): Promise<Outcome> {
  try {
    const res = await fetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
    const contentType = res.headers.get('content-type');
    const retryAfter = res.headers.get('retry-after');
    return { what, path, status: res.status, contentType, retryAfter, body: await res.text() };
  } catch (error) {
    return { what, path, networkError: `${String(error)} ${inspect((error as Error).cause)}` };
  }
}

interface LoadUser extends ChatUser {
  sessionId: string;
  /** The sessions seed's access token. */
  seedAuth: string;
}

async function loadUser(http: TestAgent): Promise<LoadUser> {
  const user = await newUser(http, 'fault');
  const session = await createSession(http, user.auth);
  return { ...user, sessionId: session.id, seedAuth: bearer(await seedAccessToken(http, user.username)) };
}

/**
 * A reader's and a writer's requests: Sql's prepared statements, TypeORM's queries, and a seed route
 * (its own error shape).
 */
function requests(baseUrl: string, user: LoadUser): (() => Promise<Outcome>)[] {
  const headers = { authorization: user.auth, 'content-type': 'application/json' };
  const sessionId = user.sessionId;
  return [
    () => call(baseUrl, 'list sessions', `${SESSIONS}?limit=20`, { headers }),
    () => call(baseUrl, 'page messages', `${messagesUrl(sessionId)}?limit=50`, { headers }),
    () =>
      call(baseUrl, 'post message', messagesUrl(sessionId), {
        method: 'POST',
        headers,
        body: JSON.stringify({ content: 'hello under fire' }),
      }),
    () => call(baseUrl, 'me (TypeORM)', '/api/v1/auth/me', { headers }),
    () => call(baseUrl, 'new session', SESSIONS, { method: 'POST', headers, body: '{}' }),
    () => call(baseUrl, 'seed sessions', '/chatsessions/', { headers: { authorization: user.seedAuth } }),
  ];
}

const SEED_PATH = /^\/chatsessions\//;

/**
 * The outcomes that are neither a success nor a 503 in the route's shape (problem details, or the seed's
 * `{"detail"}`): a 500, a dropped connection, a wrong body.
 */
function unexpected(outcomes: Outcome[]): Outcome[] {
  return outcomes.filter((o) => {
    if (o.status !== undefined && o.status >= 200 && o.status < 300) return false;
    if (o.status !== 503) return true;
    const body = JSON.parse(o.body ?? '{}') as Record<string, unknown>;
    return SEED_PATH.test(o.path)
      ? !(/^application\/json/.test(o.contentType ?? '') && Object.keys(body).join() === 'detail')
      : !(/^application\/problem\+json/.test(o.contentType ?? '') && body.status === 503);
  });
}

onPostgres('database faults: the server survives its connections being terminated', () => {
  let t: TestApp | undefined;
  let admin: pg.Client | undefined;
  afterEach(async () => {
    await admin?.end();
    await t?.close();
  });

  it('keeps serving 16+ concurrent readers and writers (more than DB_POOL_SIZE) while its backends are terminated, answering 2xx or 503 only', async () => {
    t = await startTestApp({ DB_POOL_SIZE: '4', LOGIN_MAX_FAILURES: '1000' });
    const database = new URL(t.env.DATABASE_URL).pathname.slice(1);
    admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    const users = await Promise.all([1, 2, 3, 4].map(() => loadUser((t as TestApp).http)));

    const outcomes: Outcome[] = [];
    let loading = true;
    const worker = async (n: number) => {
      const mix = requests((t as TestApp).baseUrl, users[n % users.length]);
      for (let i = n; loading; i++) outcomes.push(await mix[i % mix.length]());
    };
    const load = Promise.all(Array.from({ length: 24 }, (_, n) => worker(n)));

    // Only this test's own database's backends: the server is shared with other suites.
    let terminated = 0;
    for (let round = 0; round < 12; round++) {
      await sleep(250);
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [database],
      );
      terminated += rows.length;
    }
    await sleep(500);
    loading = false;
    await load;

    expect(terminated).toBeGreaterThan(0);
    expect(isRunning(t.pid)).toBe(true);
    expect(unexpected(outcomes).slice(0, 5)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(100);
    expect(t.output()).not.toMatch(/Unhandled 'error' event|Connection terminated unexpectedly\n\s+at/);

    // Afterwards the pool has replaced its connections: every request succeeds again.
    const after = await Promise.all(
      Array.from({ length: 24 }, (_, n) => requests((t as TestApp).baseUrl, users[n % 4])[n % 6]()),
    );
    expect(after.filter((o) => !(o.status && o.status < 300))).toEqual([]);
  });
});

/** Twenty words in ten pieces 200 ms apart: two seconds of answer. */
const SLOW_ANSWER = Array.from({ length: 20 }, (_, i) => `word${i + 1}`).join(' ');

/** The test's timeouts, short so that the suite is quick; the pool is smaller than the load. */
const FAULT_ENV = {
  DB_POOL_SIZE: '4',
  DB_CONNECT_TIMEOUT_MS: '1000',
  DB_STATEMENT_TIMEOUT_MS: '1500',
  DB_QUERY_TIMEOUT_MS: '2000',
  SHUTDOWN_TIMEOUT_MS: '3000',
  LOGIN_MAX_FAILURES: '1000',
};

/** Repeats `probe` until it returns true, or fails after `timeoutMs`. */
async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(200);
  }
}

async function timed<T>(work: Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work;
  return { result, ms: performance.now() - started };
}

onPostgres('database faults: the database goes away, hangs, and comes back (through a fault proxy)', () => {
  let proxy: FaultProxy;
  let t: TestApp | undefined;
  let user: LoadUser;
  const openai = new OpenAiFake();
  beforeAll(async () => {
    await openai.start();
    proxy = await FaultProxy.start(Number(new URL(process.env.DATABASE_URL as string).port || 5432));
  });
  afterEach(async () => {
    proxy.setMode('forward');
    await t?.close();
    t = undefined;
  });
  afterAll(async () => {
    await proxy.stop();
    await openai.stop();
  });

  async function start(env: Record<string, string> = {}): Promise<TestApp> {
    t = await startTestApp({ ...FAULT_ENV, ...env }, { databasePort: proxy.port });
    user = await loadUser(t.http);
    return t;
  }

  /** An app answering through the OpenAI fake, for the streamed answers below. */
  const startOnOpenAi = (env: Record<string, string> = {}) =>
    start({ ...openAiFakeEnv(openai.baseUrl), LLM_TIMEOUT_MS: '10000', ...env });

  /** Starts a slow streamed answer (10 pieces, 200 ms apart); resolves once its first delta has come. */
  async function streamSlowAnswer(app: TestApp) {
    openai.reply(SLOW_ANSWER, { chunks: 10, delayMs: 200 });
    const firstDelta = deferred<SseEvent>();
    const streaming = streamMessage(app.baseUrl, user.auth, user.sessionId, 'a slow answer please', {
      onEvent: (event) => {
        if (event.event === 'delta') firstDelta.resolve(event);
      },
    });
    const answerId = dataOf<{ message_id: string }>(await firstDelta.promise).message_id;
    return { streaming, answerId };
  }

  it('down: 503 at once on every route family, with Retry-After, and /health’s documented body; up: it recovers by itself', async () => {
    const app = await start();
    proxy.setMode('down');

    const mix = requests(app.baseUrl, user);
    const { result: outcomes, ms } = await timed(Promise.all(mix.map((request) => request())));
    expect(outcomes.map((o) => [o.what, o.status])).toEqual(mix.map((_, i) => [outcomes[i].what, 503]));
    expect(unexpected(outcomes)).toEqual([]);
    expect(ms).toBeLessThan(2000);
    expect(JSON.parse(outcomes[0].body ?? '{}')).toMatchObject({
      detail: 'The database is unavailable; try again shortly.',
    });
    expect(outcomes.map((o) => [o.what, o.retryAfter])).toEqual(outcomes.map((o) => [o.what, '5']));

    const health = await app.http.get('/health');
    expect({ status: health.status, contentType: health.headers['content-type'] }).toEqual({
      status: 503,
      contentType: expect.stringMatching(/^application\/json/),
    });
    const down = {
      status: 'down',
      message: 'The database is unavailable.',
      responseTime: expect.any(Number),
    };
    expect(health.body).toEqual({
      status: 'error',
      info: {},
      error: { database: down },
      details: { database: down },
    });

    proxy.setMode('forward');
    await eventually('the app serves again', async () => (await mix[0]()).status === 200);
    const again = await Promise.all(mix.map((request) => request()));
    expect(again.filter((o) => o.status === undefined || o.status >= 300)).toEqual([]);
    expect((await app.http.get('/health')).body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' } },
    });
    expect(isRunning(app.pid)).toBe(true);
  });

  it('stalled: requests answer 503 within the timeouts instead of hanging, then it recovers', async () => {
    const app = await start();
    proxy.setMode('stall');

    // More requests than connections: some wait in a stalled query, the others for a connection.
    const mix = requests(app.baseUrl, user);
    const load = Array.from({ length: 12 }, (_, n) => timed(mix[n % mix.length]()));
    const health = timed(app.http.get('/health'));
    const results = await Promise.all(load);
    const outcomes = results.map((r) => r.result);
    expect(outcomes.map((o) => [o.what, o.status])).toEqual(outcomes.map((o) => [o.what, 503]));
    expect(unexpected(outcomes)).toEqual([]);
    // At most a wait for a connection (1 s) and a query's client-side timeout (2 s), with some slack.
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(6000);
    const { result: healthRes, ms: healthMs } = await health;
    expect(healthRes.status).toBe(503);
    expect(healthRes.body.error.database).toMatchObject({ status: 'down' });
    expect(healthMs).toBeLessThan(4000);

    proxy.setMode('forward');
    await eventually('the app serves again', async () => (await mix[0]()).status === 200);
    expect(isRunning(app.pid)).toBe(true);
  });

  it('a streamed answer whose final store fails ends with an `error` event and reads back `failed` once the database is back; a plain POST answers 503', async () => {
    const app = await startOnOpenAi();
    const { streaming, answerId } = await streamSlowAnswer(app);
    proxy.setMode('down');
    const res = await streaming;

    expect(eventShape(res)).toEqual(['message.created', 'delta…', 'error']);
    expect(deltaTexts(res).join('')).toBe(SLOW_ANSWER);
    expect(dataOf(res.events.at(-1))).toMatchObject({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The database is unavailable; try again shortly.',
      message_id: answerId,
    });
    const networkError = res.error instanceof Error ? `${res.error.message}` : res.error;
    expect({ ended: res.ended, networkError }).toEqual({ ended: 'end', networkError: undefined });

    proxy.setMode('forward');
    let messages: MessageBody[] = [];
    await eventually('the answer reads back failed', async () => {
      messages = await allMessages(app.http, user.auth, user.sessionId);
      return messages.at(-1)?.status === 'failed';
    });
    expect(messages.map((m) => [m.role, m.status, m.content])).toEqual([
      ['user', 'complete', 'a slow answer please'],
      ['assistant', 'failed', SLOW_ANSWER],
    ]);
    expect(messages[1]).toMatchObject({
      id: answerId,
      error: 'The answer could not be stored: the database was unavailable.',
    });

    // A plain POST whose turn cannot be stored once the provider has answered: 503, not 500.
    openai.reply('too late to store', { delayMs: 1000 });
    const asked = openai.requests.length;
    const posting = app.http
      .post(messagesUrl(user.sessionId))
      .set('Authorization', user.auth)
      .send({ content: 'and a plain one' })
      .then((r) => r);
    await eventually('the provider is asked', () => Promise.resolve(openai.requests.length > asked), 5000);
    proxy.setMode('down');
    const answer = await posting;
    expect({ status: answer.status, detail: answer.body.detail }).toEqual({
      status: 503,
      detail: 'The database is unavailable; try again shortly.',
    });
    expect(isRunning(app.pid)).toBe(true);
  });

  it('a stop whose store times out: 503 to the stop and on the stream, and the answer reads back `stopped` with its partial text once the database answers', async () => {
    const app = await startOnOpenAi();
    const { streaming, answerId } = await streamSlowAnswer(app);
    // Holds the answer's row for longer than DB_STATEMENT_TIMEOUT_MS, so that storing the stop times out.
    const direct = new URL(app.env.DATABASE_URL); // the app's database, not through the proxy
    direct.port = new URL(process.env.DATABASE_URL as string).port || '5432';
    const locker = new pg.Client({ connectionString: direct.toString() });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM messages WHERE id = $1 FOR UPDATE', [answerId]);
      const [stopped, res] = await Promise.all([
        app.http.post(`${messagesUrl(user.sessionId)}/${answerId}/stop`).set('Authorization', user.auth),
        streaming,
      ]);
      expect({ status: stopped.status, detail: stopped.body.detail }).toEqual({
        status: 503,
        detail: 'The database is unavailable; try again shortly.',
      });
      expect(eventShape(res)).toEqual(['message.created', 'delta…', 'error']);
      expect(dataOf(res.events.at(-1))).toMatchObject({ status: 503, message_id: answerId });
      const partial = deltaTexts(res).join('');
      expect(partial.length).toBeGreaterThan(0);
      expect(partial).not.toBe(SLOW_ANSWER);

      await locker.query('ROLLBACK');
      let messages: MessageBody[] = [];
      await eventually('the answer is no longer streaming', async () => {
        messages = await allMessages(app.http, user.auth, user.sessionId);
        return messages.at(-1)?.status !== 'streaming';
      });
      expect(messages.at(-1)).toMatchObject({ id: answerId, status: 'stopped', content: partial });
    } finally {
      await locker.end();
    }
  });

  it('stalled for longer than the lease: the answer generated here is not swept as a dead instance’s, and completes', async () => {
    const app = await startOnOpenAi({ GENERATION_LEASE_MS: '600' }); // renewed every 200 ms, swept every 300
    const { streaming, answerId } = await streamSlowAnswer(app);
    // Two leases long: the renewals and sweeps sent meanwhile wait in the stalled connections, and run
    // when it flows again, the lease then long past.
    proxy.setMode('stall');
    await sleep(1200);
    proxy.setMode('forward');
    const res = await streaming;

    expect(eventShape(res)).toEqual(['message.created', 'delta…', 'message.completed']);
    expect(deltaTexts(res).join('')).toBe(SLOW_ANSWER);
    const messages = await allMessages(app.http, user.auth, user.sessionId);
    expect(messages.at(-1)).toMatchObject({ id: answerId, status: 'complete', content: SLOW_ANSWER });
  });

  it('stalled: SIGTERM ends the process within SHUTDOWN_TIMEOUT_MS', async () => {
    const app = await start();
    proxy.setMode('stall');
    const inFlight = requests(app.baseUrl, user)[0]();
    await sleep(200);
    const { result: exitCode, ms } = await timed(app.stop());
    expect({ exited: exitCode !== null, withinBound: ms < 3000 + 1500 }).toEqual({
      exited: true,
      withinBound: true,
    });
    await inFlight;
  });
});
