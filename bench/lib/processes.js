/* global URL, clearTimeout, console, fetch, process, setTimeout -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The processes and databases the bench starts, and their cleanup: the app (dist/main.js), the ceilings
// (bench/ceiling-*.js), PostgreSQL databases of its own, and per-scenario CPU profiles of the app.
import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BENCH_DIR, CFG, MODE, ROOT, env, log, num, sleep, wants } from './config.js';
import { childrenOf } from './proc-stats.js';

const JWT_SECRET = randomBytes(36).toString('base64url'); // 48 characters
const cleanups = [];
/** Runs `fn` at the end of the run (in reverse order of registration), whether it failed or not. */
export const atCleanup = (fn) => cleanups.push(fn);

// ---------------------------------------------------------------------------------------------- databases

async function createServerDatabases() {
  const server = new URL(env.DATABASE_URL);
  const stem = `chatbot_bench_${randomBytes(5).toString('hex')}`;
  const names = { app: stem, ceiling: `${stem}_ceiling` };
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  for (const name of Object.values(names)) await admin.query(`CREATE DATABASE ${name}`);
  const setting = async (name) => (await admin.query(`SHOW ${name}`)).rows[0][name];
  const settings = { version: await setting('server_version'), autovacuum: await setting('autovacuum') };
  await admin.end();
  atCleanup(async () => {
    if (CFG.keepDatabases) return log(`kept databases ${Object.values(names).join(', ')}`);
    const client = new pg.Client({ connectionString: server.toString() });
    await client.connect();
    for (const name of Object.values(names))
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  const urlOf = (name) => {
    const url = new URL(server);
    url.pathname = `/${name}`;
    return url.toString();
  };
  return { appUrl: urlOf(names.app), ceilingUrl: urlOf(names.ceiling), settings };
}

/**
 * The app's and the ceilings' databases: on PostgreSQL, two fresh ones on DATABASE_URL's server (dropped at
 * the end); embedded, a fresh temp DATA_DIR for the app and a PGlite of the db ceiling's own.
 */
export async function setUpDatabases(fake) {
  let databaseEnv;
  let ceilingEnv;
  let databaseServer = null;
  if (MODE === 'postgres') {
    const dbs = await createServerDatabases();
    databaseServer = dbs.settings;
    log(
      `PostgreSQL ${databaseServer.version}, autovacuum ${databaseServer.autovacuum}` +
        (databaseServer.autovacuum === 'on'
          ? ''
          : ' (unlike a default server: dead rows of the turns are vacuumed only after the seeding)'),
    );
    databaseEnv = { DATABASE_URL: dbs.appUrl };
    ceilingEnv = {
      FAKE_URL: fake.baseUrl,
      CEILING_DATABASE_URL: dbs.ceilingUrl,
      CEILING_POOL_SIZE: String(num(appOverrides().DB_POOL_SIZE, 10)),
    };
  } else {
    const dataDir = mkdtempSync(join(tmpdir(), 'chatbot-bench-'));
    atCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
    databaseEnv = { DATA_DIR: dataDir };
    ceilingEnv = { FAKE_URL: fake.baseUrl, CEILING_DATABASE_URL: '' };
  }
  return { databaseEnv, ceilingEnv, databaseServer };
}

// ---------------------------------------------------------------------------------------------- processes

export function forkCeiling(file, childEnv = {}) {
  const child = fork(join(BENCH_DIR, file), [], {
    env: { ...env, ...childEnv },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  atCleanup(() => stopChild(child));
  return new Promise((resolvePort, reject) => {
    child.once('message', (m) => resolvePort({ pid: child.pid, url: `http://127.0.0.1:${m.port}`, child }));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

export function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = http.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/** BENCH_APP_<NAME>=value is passed to the app as NAME=value (e.g. BENCH_APP_DB_POOL_SIZE=20). */
export function appOverrides() {
  const out = {};
  for (const [key, value] of Object.entries(env))
    if (key.startsWith('BENCH_APP_')) out[key.slice(10)] = value;
  for (const key of ['DB_POOL_SIZE', 'LLM_CONTEXT_TOKENS'])
    if (env[key] && !(key in out)) out[key] = env[key];
  return out;
}

/**
 * Starts the built server, as `npm start` runs it unless BENCH_APP_<NAME> or `extraEnv` say otherwise
 * (HTTP_WORKERS=auto for the workers' rows). Resolves once the server says it is ready (with HTTP_WORKERS,
 * once every worker listens) and /health answers.
 */
export async function startApp(databaseEnv, fakeUrl, extraEnv = {}) {
  const port = await freePort();
  const args = [];
  if (CFG.profile) args.push('--import', join(BENCH_DIR, 'profiler-preload.js'));
  if (CFG.profileWhole) args.push('--cpu-prof', `--cpu-prof-dir=${CFG.profileDir}`);
  if (env.BENCH_NODE_ARGS) args.push(...env.BENCH_NODE_ARGS.split(/\s+/).filter(Boolean));
  args.push(join(ROOT, 'dist/main.js'));
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: env.PATH ?? '',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET, // one for the run: the workers' app takes the tokens of the first
      JWT_ACCESS_TTL: '2h',
      OPENAI_API_KEY: 'bench',
      OPENAI_BASE_URL: `${fakeUrl}/v1`,
      LLM_PROVIDER: 'openai',
      // No title call after a session's first answer: it would load only the fresh side of the
      // 3,000-message comparison, and add a small call to the fake's context figures.
      LLM_TITLES: 'question',
      LOG_LEVEL: 'warn',
      LOGIN_MAX_FAILURES: '10000', // the schema's maximum (the issue's 100000 is refused at start-up)
      // The bench posts thousands of turns a minute as one user: the per-minute limit (its counting
      // included) stays on, out of reach.
      CHAT_RATE_LIMIT: '1000000',
      ...databaseEnv,
      ...appOverrides(),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let ready = false;
  child.on('message', (m) => (ready ||= m === 'ready'));
  const output = [];
  const keep = (chunk) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  atCleanup(() => stopChild(child));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the app exited with ${child.exitCode}:\n${output.join('')}`);
    if (Date.now() > deadline) throw new Error(`the app did not become healthy:\n${output.join('')}`);
    const ok =
      ready &&
      (await fetch(`${baseUrl}/health`).then(
        (r) => r.ok,
        () => false,
      ));
    if (ok) break;
    await sleep(200);
  }
  const app = { child, pid: child.pid, baseUrl, output, workers: Math.max(1, childrenOf(child.pid).length) };
  startedApps.push(app);
  return app;
}
const startedApps = []; // their output is printed when the bench fails

function profileCommand(app, message) {
  return new Promise((done, reject) => {
    const onMessage = (reply) => {
      if (reply?.cmd !== message.cmd) return;
      app.child.off('message', onMessage);
      if (reply.ok) done(reply);
      else reject(new Error(reply.error));
    };
    app.child.on('message', onMessage);
    app.child.send(message);
  });
}

/** Runs `fn` with the app's CPU profiled into <profileDir>/<mode>-<name>.cpuprofile when BENCH_PROFILE=1. */
export async function profiled(app, name, fn) {
  if (!CFG.profile) return fn();
  await profileCommand(app, { cmd: 'profile-start' });
  try {
    return await fn();
  } finally {
    const file = join(CFG.profileDir, `${MODE}-${name}.cpuprofile`);
    await profileCommand(app, { cmd: 'profile-stop', file });
    profiles.push({ name, file });
  }
}
export const profiles = []; // the files written, summarised at the end

async function cleanup() {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (error) {
      console.error('cleanup:', error.message);
    }
  }
}

/** Runs the bench's `main`, cleans up after it (also on SIGINT) and exits: 1 when it failed, with the app's last output. */
export async function runAndExit(main) {
  let exitCode = 0;
  process.on('SIGINT', () => {
    void cleanup().then(() => process.exit(130));
  });
  try {
    await main();
  } catch (error) {
    console.error('bench failed:', error);
    for (const { child, pid, output } of startedApps) {
      const state = child.exitCode ?? child.signalCode;
      console.error(
        `the app (pid ${pid}, ${state === null ? 'running' : `exited: ${state}`}), its last output:`,
      );
      console.error(output.join('') || '(none)');
    }
    exitCode = 1;
  } finally {
    await cleanup();
  }
  process.exit(exitCode);
}

/**
 * The ceilings (when measured: BENCH_ONLY names `ceilings`, or is unset) and the app, started at once.
 * Resolves to the run's shared state, which the seeding and the scenarios add to.
 */
export async function startServers(fake, { databaseEnv, ceilingEnv }) {
  const measureCeilings = wants('ceilings') || !CFG.only;
  const [jsonCeiling, dbCeiling, app] = await Promise.all([
    measureCeilings ? forkCeiling('ceiling-json.js') : null,
    measureCeilings ? forkCeiling('ceiling-db.js', ceilingEnv) : null,
    startApp(databaseEnv, fake.baseUrl),
  ]);
  log(
    `app pid ${app.pid} (${app.workers} process${app.workers > 1 ? 'es' : ''}) at ${app.baseUrl}; fake at ${fake.baseUrl}`,
  );
  // `app` is started again when the search scenario seeds the embedded database (one process at a time)
  return { fake, databaseEnv, ceilingEnv, jsonCeiling, dbCeiling, app, base: app.baseUrl };
}
