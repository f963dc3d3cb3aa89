import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/app-config.js';
import { usableCpus } from '../src/config/usable-cpus.js';
import { createSession, messagesUrl, newUser, STRONG_PASSWORD } from './utils/chat-helpers.js';
import { isRunning, startTestApp, TestApp, usingPostgresServer } from './utils/test-app.js';

/** pid, parent pid and CPU time (ms, user + system) of every process, from /proc. */
function processes(): { pid: number; ppid: number; cpuMs: number }[] {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone since the listing
    }
    // fields after the command name, which is in parentheses and may hold spaces
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    found.push({ pid: Number(entry), ppid: Number(fields[1]), cpuMs: ticks * 10 });
  }
  return found;
}

function workersOf(primary: number): { pid: number; cpuMs: number }[] {
  return processes().filter((p) => p.ppid === primary);
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const onPostgres = usingPostgresServer ? describe : describe.skip;

onPostgres('HTTP_WORKERS=2: two server processes on one port', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ HTTP_WORKERS: '2', LOG_LEVEL: 'info', LOGIN_MAX_FAILURES: '3' });
    await until(() => t.output().includes('all HTTP workers listening'), 'both workers');
  }, 60_000);

  afterAll(async () => {
    await t.close();
  });

  it('runs two workers (with a small young generation) under the primary; new connections reach both', async () => {
    const workers = workersOf(t.pid);
    expect(workers).toHaveLength(2);
    for (const { pid } of workers)
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=4');
    const user = await newUser(t.http, 'workers');
    // Logins are argon2id verifications (tens of ms of CPU each): on new connections, node:cluster hands
    // them to the workers in turn, so each worker's CPU time grows by several of them.
    for (let i = 0; i < 8; i++) {
      await t.http
        .post('/api/v1/auth/login')
        .set('Connection', 'close')
        .send({ username: user.username, password: STRONG_PASSWORD })
        .expect(200);
    }
    const after = workersOf(t.pid);
    for (const worker of workers) {
      const now = after.find((w) => w.pid === worker.pid);
      expect(now && now.cpuMs - worker.cpuMs).toBeGreaterThanOrEqual(40);
    }
  });

  it('gives each turn the whole conversation, whichever worker served the turns before', async () => {
    const user = await newUser(t.http, 'workers');
    const session = await createSession(t.http, user.auth);
    for (let turn = 0; turn < 6; turn++) {
      const res = await t.http
        .post(messagesUrl(session.id))
        .set('Authorization', user.auth)
        .set('Connection', 'close')
        .send({ content: `question ${turn}` })
        .expect(201);
      // the echo provider tells how many earlier messages it was sent
      const earlier = 2 * turn;
      expect(res.body.assistant_message.content).toContain(
        `I can see ${earlier} earlier ${earlier === 1 ? 'message' : 'messages'}`,
      );
    }
    const page = await t.http.get(messagesUrl(session.id)).set('Authorization', user.auth).expect(200);
    expect(
      page.body.data.map((m: { content: string }) => m.content).filter((_: string, i: number) => i % 2 === 0),
    ).toEqual([0, 1, 2, 3, 4, 5].map((turn) => `question ${turn}`));
  });

  it('counts failed logins across workers (the limit is not per worker)', async () => {
    const { username } = await newUser(t.http, 'limited');
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const res = await t.http
        .post('/api/v1/auth/login')
        .set('Connection', 'close')
        .send({ username, password: 'not-the-password-1' });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const [victim] = workersOf(t.pid);
    process.kill(victim.pid, 'SIGKILL');
    await t.http.get('/health').set('Connection', 'close').expect(200);
    await until(() => {
      const now = workersOf(t.pid).map((w) => w.pid);
      return now.length === 2 && !now.includes(victim.pid);
    }, 'a replacement worker');
    await until(
      () => t.output().split('all HTTP workers listening').length === 3,
      'the replacement to listen',
    );
    expect(t.output()).toMatch(/an HTTP worker died \(signal SIGKILL\): starting another/);
    for (let i = 0; i < 4; i++) await t.http.get('/health').set('Connection', 'close').expect(200);
  });

  it('stops gracefully on SIGTERM: the workers, then the primary with status 0', async () => {
    const workers = workersOf(t.pid).map((w) => w.pid);
    expect(workers).toHaveLength(2);
    expect(await t.stop()).toBe(0);
    for (const pid of workers) expect(isRunning(pid)).toBe(false);
  });
});

describe('HTTP_WORKERS configuration', () => {
  it('refuses more than one worker on the embedded database, naming the variable', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'workers-embedded-'));
    try {
      const run = spawnSync(process.execPath, ['dist/main.js'], {
        env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: '0', HTTP_WORKERS: '2' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/HTTP_WORKERS: more than one worker needs a PostgreSQL server/);
      expect(readdirSync(dataDir)).toEqual([]); // refused before anything was started
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it.each(['0', 'two', '100', '-1'])('refuses HTTP_WORKERS=%s', (value) => {
    expect(() => loadConfig({ HTTP_WORKERS: value })).toThrow(/HTTP_WORKERS must be auto or a number/);
  });

  it('auto: one worker per usable CPU on a PostgreSQL server, one process on the embedded database', () => {
    const server = { DATABASE_URL: 'postgres://db.invalid/app' };
    expect(loadConfig({ ...server, HTTP_WORKERS: 'auto' }).http.workers).toBe(usableCpus());
    expect(loadConfig({ HTTP_WORKERS: 'auto' }).http.workers).toBe(1);
    expect(loadConfig({}).http.workers).toBe(1);
    expect(loadConfig({ ...server, HTTP_WORKERS: '3' }).http.workers).toBe(3);
  });
});
