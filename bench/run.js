/* global URL, clearInterval, clearTimeout, console, fetch, performance, process, setInterval, setTimeout -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// `npm run bench`: throughput and latency of the built server (dist/main.js) against two ceilings measured
// in the same run, on PostgreSQL when DATABASE_URL is set (fresh databases of its own on that server,
// dropped at the end), else on the embedded database (a fresh temp DATA_DIR). See bench/README.md.
import { execFileSync, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { DEFAULT_REPLY, newStats, startOpenAiFake } from './openai-fake.js';
import { SEARCH_QUERIES, seedSearchData } from './search-seed.js';
import { measureSeedLists, seedListsReport } from './scenario-seed-lists.js';
import { formatSummary, summarise } from './profile-summary.js';
import { embeddedStartTargets, measureEmbeddedStart } from './embedded-start.js';
import { reportHistory, runHistory } from './scenario-history.js';
// The app's own rule for HTTP_WORKERS=auto (built by `npm run bench`), so that the workers' app is started
// only when it would be more than one process.
import { usableCpus } from '../dist/config/usable-cpus.js';
import { EmbeddedPostgres } from '../dist/database/embedded-postgres.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, '..');
const env = process.env;
const num = (value, fallback) => (value === undefined || value === '' ? fallback : Number(value));

const duration = num(env.BENCH_DURATION, 10);
const CFG = {
  duration,
  connections: num(env.BENCH_CONNECTIONS, 16),
  listSessions: 50,
  pageMessages: 100,
  bigMessages: num(env.BENCH_BIG_MESSAGES, 3000),
  bigBranches: num(env.BENCH_BIG_BRANCHES, 20),
  bigRequests: num(env.BENCH_BIG_REQUESTS, Math.max(200, 100 * duration)),
  bigRounds: num(env.BENCH_BIG_ROUNDS, 3),
  segments: num(env.BENCH_SEGMENTS, 5),
  bigSessions: num(env.BENCH_BIG_SESSIONS, num(env.BENCH_CONNECTIONS, 16)),
  postSessions: num(env.BENCH_POST_SESSIONS, num(env.BENCH_CONNECTIONS, 16)),
  streams: num(env.BENCH_STREAMS, 2000),
  streamSessions: num(env.BENCH_STREAM_SESSIONS, 200),
  streamTokens: num(env.BENCH_STREAM_TOKENS, 20),
  realisticClients: num(env.BENCH_REALISTIC_CLIENTS, 20),
  tokenDelayMs: num(env.BENCH_TOKEN_DELAY_MS, 50),
  loginConnections: num(env.BENCH_LOGIN_CONNECTIONS, 4),
  searchUsers: num(env.BENCH_SEARCH_USERS, 1000),
  searchMessages: num(env.BENCH_SEARCH_MESSAGES, 200_000),
  searchApiUsers: 4, // of the search users, those registered through the API: the searches rotate over them
  contextTokens: num(env.BENCH_APP_LLM_CONTEXT_TOKENS ?? env.LLM_CONTEXT_TOKENS, 8000),
  profile: env.BENCH_PROFILE === '1', // one profile per scenario (bench/profiler-preload.js)
  profileWhole: env.BENCH_PROFILE === 'whole', // node --cpu-prof: one profile of the whole run, written at exit
  profileDir: env.BENCH_PROFILE_DIR ?? '/tmp/prof',
  keepDatabases: env.BENCH_KEEP_DATABASES === '1',
  // scenarios 1–3 measured again with the app as HTTP_WORKERS=auto (when that is more than one process)
  compareWorkers: env.BENCH_WORKERS !== '0',
  only: env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(',').map((s) => s.trim())) : null,
};
const wants = (key) => !CFG.only || CFG.only.has(key);
const MODE = env.DATABASE_URL ? 'postgres' : 'embedded';
const WARM_UP_REQUESTS = 2000;
const POST_WARM_UP_S = num(env.BENCH_POST_WARM_UP, 5);
const TARGETS = {
  list: 0.7,
  messages: 0.6,
  post: 0.2,
  bigLatency: 1.5,
  streamRssMiB: 600,
  searchVsList: 0.25,
  budgets: 0.9,
};

const JWT_SECRET = randomBytes(36).toString('base64url'); // 48 characters
const cleanups = [];
const log = (...args) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
  cleanups.push(async () => {
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

// ---------------------------------------------------------------------------------------------- processes

function forkCeiling(file, childEnv = {}) {
  const child = fork(join(BENCH_DIR, file), [], {
    env: { ...env, ...childEnv },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  cleanups.push(() => stopChild(child));
  return new Promise((resolvePort, reject) => {
    child.once('message', (m) => resolvePort({ pid: child.pid, url: `http://127.0.0.1:${m.port}`, child }));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

function stopChild(child) {
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
function appOverrides() {
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
async function startApp(databaseEnv, fakeUrl, extraEnv = {}) {
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
  cleanups.push(() => stopChild(child));
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
async function profiled(app, name, fn) {
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
const profiles = [];

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The CPU time (user + system, ms) in a `/proc/<pid>/stat` line. */
function statCpuMs(stat) {
  const fields = statFields(stat);
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** Every process's `/proc/<pid>/stat` line, as [pid, line] (processes that exit meanwhile are left out). */
function* procStats() {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      yield [Number(entry), readFileSync(`/proc/${entry}/stat`, 'utf8')];
    } catch {
      // the process exited meanwhile
    }
  }
}

/** The fields of a stat line after the command name (which is in parentheses and may hold spaces). */
const statFields = (stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');

/** The pids whose parent is `pid` (the app's workers under HTTP_WORKERS). */
function childrenOf(pid) {
  const children = [];
  for (const [each, stat] of procStats()) if (Number(statFields(stat)[1]) === pid) children.push(each);
  return children;
}

/** A process and its children: what the app is, workers included. */
const processTree = (pid) => [pid, ...childrenOf(pid)];

/** CPU time (user + system) a process and its children have used so far, in ms; null when /proc is not there. */
function cpuMs(pid) {
  try {
    let total = 0;
    for (const each of processTree(pid)) total += statCpuMs(readFileSync(`/proc/${each}/stat`, 'utf8'));
    return total;
  } catch {
    return null;
  }
}

/**
 * CPU time (ms) used so far by each process of the local PostgreSQL server (every process named
 * `postgres`), by pid; null when there is none to see (embedded mode, or a server on another machine).
 */
function dbServerCpuMs() {
  if (MODE !== 'postgres') return null;
  const byPid = new Map();
  for (const [pid, stat] of procStats()) if (stat.includes('(postgres)')) byPid.set(pid, statCpuMs(stat));
  return byPid.size > 0 ? byPid : null;
}

/** The CPU time PostgreSQL's processes used between two {@link dbServerCpuMs} readings (ones that exited meanwhile left out). */
function dbCpuBetween(before, after) {
  if (!before || !after) return null;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** CPU time (ms) of this process: the load generator and the OpenAI fake. */
const benchCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** RSS (or another /proc status field, in KiB) of these processes together; null when one cannot be read. */
function rssKiB(pids, field = 'VmRSS') {
  try {
    const pattern = new RegExp(`^${field}:\\s+(\\d+)`, 'm');
    let total = 0;
    for (const pid of pids) {
      const match = pattern.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (!match) return null;
      total += Number(match[1]);
    }
    return total;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------- HTTP helpers

async function api(base, method, path, { token, body, expect = [200, 201] } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!expect.includes(response.status))
    throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

const range = (n) => Array.from({ length: n }, (_, i) => i);
const QUESTION =
  'Please explain, in a few sentences, how keyset pagination differs from offset pagination and why it stays fast on long lists. Question number ';

/**
 * Builds a session of `messages` messages (every version counted, as `message_count` does) with `branches`
 * branches, through the API as a user who edits and regenerates would. At `branches` points spread evenly
 * over the conversation the user goes back 1 to 10 turns (in turn) and edits that question or regenerates
 * that answer (alternately), then talks on from the new version; the versions left behind keep their
 * tails. Each branch goes back fewer turns than were posted since the one before (its fork is new), and
 * after the last there are more turns than any tail, so the active path, where the measured turns go, is
 * the deepest. Turns are posted one after another: each one's parent is the leaf the one before left.
 * Resolves to the active path's length.
 */
async function buildBranchedSession(base, token, sessionId, messages, branches) {
  const edits = Math.ceil(branches / 2);
  const regenerations = branches - edits;
  const turns = Math.floor((messages - 2 * edits - regenerations) / 2);
  const spacing = Math.floor(turns / (branches + 1)); // turns between two branches, and after the last
  if (spacing < 2) throw new Error(`${messages} messages are too few for ${branches} branches`);
  const url = `/api/v1/chat-sessions/${sessionId}/messages`;
  const path = []; // the active path's ids, oldest first: question, answer, question, answer …
  let posted = 0;
  const postUntil = async (count) => {
    for (; posted < count; posted += 1) {
      const turn = await api(base, 'POST', url, { token, body: { content: `${QUESTION}${posted}.` } });
      path.push(turn.user_message.id, turn.assistant_message.id);
    }
  };
  for (let branch = 1; branch <= branches; branch += 1) {
    await postUntil(Math.round((turns * branch) / (branches + 1)));
    // turns back from the leaf (1: the latest question or answer), fewer than since the last branch
    const back = Math.min(1 + ((branch - 1) % 10), spacing - 1);
    const answerAt = path.length - 1 - 2 * (back - 1);
    if (branch % 2 === 1) {
      const questionAt = answerAt - 1;
      const turn = await api(base, 'POST', `${url}/${path[questionAt]}/edit`, {
        token,
        body: { content: `${QUESTION}${posted}, asked again (branch ${branch}).` },
      });
      path.splice(questionAt, Infinity, turn.user_message.id, turn.assistant_message.id);
    } else {
      const turn = await api(base, 'POST', `${url}/${path[answerAt]}/regenerate`, { token, body: {} });
      path.splice(answerAt, Infinity, turn.assistant_message.id);
    }
  }
  await postUntil(turns);
  return path.length;
}

/**
 * Reads a session's active path back through the API (pages of 100) and its message count: what the
 * big sessions were built to be. Returns {pathLength, forks (messages on the path with siblings), messageCount}.
 */
async function readBackSession(base, token, sessionId) {
  const session = await api(base, 'GET', `/api/v1/chat-sessions/${sessionId}`, { token });
  let pathLength = 0;
  let forks = 0;
  let cursor = null;
  do {
    const query = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await api(base, 'GET', `/api/v1/chat-sessions/${sessionId}/messages?${query}`, { token });
    pathLength += page.data.length;
    forks += page.data.filter((m) => m.sibling_count > 1).length;
    cursor = page.next_cursor;
  } while (cursor);
  return { pathLength, forks, messageCount: session.message_count };
}

// ---------------------------------------------------------------------------------------------- measuring

function cannon(opts) {
  const options = { connections: CFG.connections, timeout: 30, ...opts };
  if (options.amount === undefined) options.duration ??= CFG.duration; // `amount` runs until that many answered
  return autocannon(options);
}

/** `cpu`: CPU ms per answered request of the serving process, PostgreSQL and the bench process. */
function summary(result, cpu) {
  return {
    serverCpuMsPerReq: cpu.server,
    dbCpuMsPerReq: cpu.db,
    benchCpuMsPerReq: cpu.bench,
    rps: result.requests.average,
    total: result.requests.total,
    latencyMean: result.latency.mean,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    durationS: result.duration,
  };
}

/** Whether a run (a `summary`) had no errors, timeouts or non-2xx answers: a ceiling run with any is no reference. */
const answeredCleanly = (run) => run.errors + run.non2xx === 0;

/** One autocannon run; `pid` is the server process whose CPU time per answered request is reported. */
async function measure(name, opts, pid) {
  log(`measuring ${name} …`);
  const before = { server: pid ? cpuMs(pid) : null, db: dbServerCpuMs(), bench: benchCpuMs() };
  const raw = await cannon(opts);
  const after = { server: pid ? cpuMs(pid) : null, db: dbServerCpuMs(), bench: benchCpuMs() };
  const answered = raw.requests.total;
  const perRequest = (ms) => (ms !== null && answered > 0 ? ms / answered : null);
  const between = (key) => (before[key] !== null && after[key] !== null ? after[key] - before[key] : null);
  const cpu = perRequest(between('server'));
  const result = summary(raw, {
    server: cpu,
    db: perRequest(dbCpuBetween(before.db, after.db)),
    bench: perRequest(between('bench')),
  });
  log(
    `  ${name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, errors ${result.errors}, ` +
      `non-2xx ${result.non2xx}${cpu === null ? '' : `, server CPU ${cpu.toFixed(3)} ms/req`}`,
  );
  return result;
}

/**
 * A throughput scenario measured against the db ceiling beside it: `CFG.segments` runs of the scenario
 * (`CFG.duration` seconds in all), each between two runs of the db ceiling as long (C S C S … S C). On a
 * shared 2-core VM the db ceiling, a few light wake-ups per request, swings most: by a quarter between runs
 * seconds apart (5,286 then 4,059 req/s), while the message page's req/s stayed within 15 %; two whole runs
 * measured the page at 0.72 and 0.51 of a ceiling measured once before and once after all scenarios, at the
 * same page req/s. So each segment's ratio is taken against the mean of the ceiling runs on either side of
 * it, and the scenario's ratio (`xDb`) is the median of those, which one bad second cannot move. Segments next
 * to a ceiling run with errors are left out. Without a db ceiling (BENCH_ONLY without ceilings): one run.
 */
async function measureAgainstDbCeiling(name, opts, pid, dbCeiling) {
  if (!dbCeiling) return measure(name, opts, pid);
  const duration = CFG.duration / CFG.segments;
  const ceilingRun = (i) =>
    measure(
      `db ceiling beside ${name} (${i}/${CFG.segments + 1})`,
      { url: dbCeiling.url, duration },
      dbCeiling.pid,
    );
  const ceilings = [await ceilingRun(1)];
  const runs = [];
  for (let i = 1; i <= CFG.segments; i += 1) {
    runs.push(await measure(`${name} (segment ${i}/${CFG.segments})`, { ...opts, duration }, pid));
    ceilings.push(await ceilingRun(i + 1));
  }
  const segments = runs.map((run, i) => {
    const [before, after] = [ceilings[i], ceilings[i + 1]];
    const ceilingRps = (before.rps + after.rps) / 2;
    return {
      rps: run.rps,
      ceilingRps,
      ratio: answeredCleanly(before) && answeredCleanly(after) ? run.rps / ceilingRps : null,
    };
  });
  const ratios = segments.map((x) => x.ratio).filter((r) => r !== null);
  if (ratios.length < segments.length)
    console.log(
      `WARNING: ${name}: ${segments.length - ratios.length} segment(s) beside a ceiling run with errors left out`,
    );
  return {
    ...meanOfRuns(runs),
    xDb: ratios.length ? median(ratios) : null,
    segments,
    dbCeiling: meanOfRuns(ceilings),
  };
}

/** autocannon options that POST `body` (JSON) to each of `paths` of `origin` in turn, one request each. */
function postsInTurn(origin, paths, headers, body) {
  let next = 0;
  return {
    url: `${origin}${paths[0]}`,
    requests: [
      {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] }),
      },
    ],
  };
}

/**
 * The turn ceiling (POST /turn/<session> of bench/ceiling-db.js): the least a chat turn does, sending
 * the context the app's POST scenario sent on average (`postContext`: the fake's counters over that
 * scenario), into as many sessions. Warmed up untimed first, as the app was.
 */
async function measureTurnCeiling(ceiling, fake, postContext) {
  const content = `${QUESTION}under load.`; // the POST scenario's question
  const perTurn = (total) => (postContext.requests ? total / postContext.requests : 0);
  ceiling.child.send({
    context: {
      messages: perTurn(postContext.totalMessages) - 1,
      chars: perTurn(postContext.totalChars) - content.length,
    },
  });
  const turns = postsInTurn(
    ceiling.url,
    range(CFG.postSessions).map((i) => `/turn/${i}`),
    { 'content-type': 'application/json' },
    { content },
  );
  await cannon({ ...turns, amount: WARM_UP_REQUESTS });
  fake.resetStats();
  const result = await measureAgainstDbCeiling(
    'ceiling: a bare turn (2 INSERTs + OpenAI SDK → fake)',
    turns,
    ceiling.pid,
    ceiling,
  );
  return { ...result, context: fake.resetStats() };
}

function streamOne(agent, base, token, sessionId, content) {
  return new Promise((done) => {
    const started = performance.now();
    let firstByte = null;
    let firstDelta = null;
    let body = '';
    const request = http.request(
      `${base}/api/v1/chat-sessions/${sessionId}/messages`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'text/event-stream',
        },
      },
      (response) => {
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          firstByte ??= performance.now() - started;
          body += chunk;
          if (firstDelta === null && body.includes('event: delta')) firstDelta = performance.now() - started;
        });
        response.on('end', () =>
          done({
            status: response.statusCode,
            completed: body.split('event: message.completed').length - 1,
            failed: body.split('event: error').length - 1,
            deltas: body.split('event: delta').length - 1,
            firstByteMs: firstByte,
            firstDeltaMs: firstDelta,
            ms: performance.now() - started,
          }),
        );
        response.on('error', (error) => done({ error: error.message, ms: performance.now() - started }));
      },
    );
    request.setTimeout(180_000, () => request.destroy(new Error('timeout')));
    request.on('error', (error) => done({ error: error.message, ms: performance.now() - started }));
    request.end(JSON.stringify({ content }));
  });
}

/** The realistic model's timing: the added latency of a turn is the app's time minus the model's. */
const REALISTIC = { firstTokenMs: 300, tokenMs: 20, tokens: 40 };
const REPLY_WORDS = DEFAULT_REPLY.split(' ');
/** An answer of REALISTIC.tokens words, streamed a word a token. */
const REALISTIC_REPLY = range(REALISTIC.tokens)
  .map((i) => REPLY_WORDS[i % REPLY_WORDS.length])
  .join(' ');

/**
 * Scenario 7: each of `sessions` is a client posting streamed turns one after another (untimed for
 * BENCH_POST_WARM_UP seconds, then measured for BENCH_DURATION) to a fake with a real model's pace.
 * The app's CPU per turn, and its latency over the model's own (first delta: 300 ms; whole answer:
 * 300 ms + 40 × 20 ms), are what decide whether an optimisation of the chat path is worth its code.
 */
async function measureRealistic(app, fake, token, sessions) {
  const saved = { ...fake.options };
  Object.assign(fake.options, {
    reply: REALISTIC_REPLY,
    streamTokens: REALISTIC.tokens,
    firstTokenDelayMs: REALISTIC.firstTokenMs,
    tokenDelayMs: REALISTIC.tokenMs,
  });
  const agent = new http.Agent({ keepAlive: true });
  const clients = async (seconds, tag) => {
    const until = performance.now() + seconds * 1000;
    const outcomes = [];
    await Promise.all(
      sessions.map(async (id, client) => {
        for (let i = 0; performance.now() < until; i += 1)
          outcomes.push(await streamOne(agent, app.baseUrl, token, id, `${QUESTION}${tag} ${client}.${i}.`));
      }),
    );
    return outcomes;
  };
  log(
    `realistic model: ${sessions.length} clients, ${REALISTIC.firstTokenMs} ms + ${REALISTIC.tokens} × ${REALISTIC.tokenMs} ms a turn …`,
  );
  await clients(POST_WARM_UP_S, 'realistic warm-up');
  fake.resetStats();
  const [cpuBefore, dbBefore, benchBefore, started] = [
    cpuMs(app.pid),
    dbServerCpuMs(),
    benchCpuMs(),
    performance.now(),
  ];
  const outcomes = await clients(CFG.duration, 'realistic');
  const elapsedS = (performance.now() - started) / 1000;
  const [cpuAfter, dbAfter, benchAfter] = [cpuMs(app.pid), dbServerCpuMs(), benchCpuMs()];
  agent.destroy();
  Object.assign(fake.options, saved);
  const ok = outcomes.filter((o) => o.status === 200 && o.completed === 1);
  const perTurn = (ms) => (ms === null ? null : ms / ok.length);
  const modelMs = REALISTIC.firstTokenMs + REALISTIC.tokens * REALISTIC.tokenMs;
  const firstDeltas = ok.map((o) => o.firstDeltaMs - REALISTIC.firstTokenMs);
  const totals = ok.map((o) => o.ms - modelMs);
  return {
    clients: sessions.length,
    rps: ok.length / elapsedS,
    total: outcomes.length,
    p50: percentile(totals, 50),
    p99: percentile(totals, 99),
    latencyMean: mean(...totals),
    addedFirstDeltaP50Ms: percentile(firstDeltas, 50),
    addedFirstDeltaP99Ms: percentile(firstDeltas, 99),
    addedFirstDeltaMeanMs: mean(...firstDeltas),
    serverCpuMsPerReq: cpuBefore === null ? null : perTurn(cpuAfter - cpuBefore),
    dbCpuMsPerReq: perTurn(dbCpuBetween(dbBefore, dbAfter)),
    benchCpuMsPerReq: perTurn(benchAfter - benchBefore),
    errors: outcomes.filter((o) => o.error).length,
    // an answer that is not a 200 ending in message.completed
    non2xx: outcomes.filter((o) => !o.error && !(o.status === 200 && o.completed === 1)).length,
    context: fake.resetStats(),
  };
}

function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// ---------------------------------------------------------------------------------------------- main

/**
 * The POST scenario with budgets off (the user has none, and there are no defaults: the turn reads no
 * usage) and on (daily and monthly budgets the run cannot reach: one read of the user's row and the
 * month's usage rows per turn), in two rounds of alternating order, so that a drift of the machine does
 * not decide. Each side's ratio to the db ceiling is the mean of its rounds'.
 */
async function measureBudgets(databaseUrl, username, measurePost) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const setBudgets = (tokens) =>
    client.query('UPDATE users SET quota_daily_tokens = $2, quota_monthly_tokens = $2 WHERE username = $1', [
      username,
      tokens,
    ]);
  const sides = { off: [], on: [] };
  try {
    for (const order of [
      ['off', 'on'],
      ['on', 'off'],
    ])
      for (const label of order) {
        await setBudgets(label === 'on' ? '1000000000000' : null);
        sides[label].push(await measurePost(label));
      }
  } finally {
    await setBudgets(null);
    await client.end();
  }
  const xDb = (runs) => mean(...runs.map((r) => r.xDb));
  return {
    off: meanOfRuns(sides.off),
    on: meanOfRuns(sides.on),
    xDbOff: xDb(sides.off),
    xDbOn: xDb(sides.on),
    ratio: xDb(sides.on) / xDb(sides.off),
    rounds: sides,
  };
}

async function main() {
  log(
    `mode ${MODE}; ${CFG.connections} connections × ${CFG.duration} s; node ${process.version}; ${cpus().length} CPUs`,
  );
  if (CFG.profile || CFG.profileWhole) {
    mkdirSync(CFG.profileDir, { recursive: true });
    log(`profiling the app into ${CFG.profileDir} (numbers are lower while profiling)`);
  }
  // first, while nothing else of the bench runs
  const embeddedStart = wants('embedded-start') ? await measureEmbeddedStart(ROOT, log) : null;
  const fake = await startOpenAiFake();
  cleanups.push(() => fake.close());

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
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    databaseEnv = { DATA_DIR: dataDir };
    ceilingEnv = { FAKE_URL: fake.baseUrl, CEILING_DATABASE_URL: '' };
  }

  const measureCeilings = wants('ceilings') || !CFG.only;
  // `app` is started again when the search scenario seeds the embedded database (one process at a time)
  let [jsonCeiling, dbCeiling, app] = await Promise.all([
    measureCeilings ? forkCeiling('ceiling-json.js') : null,
    measureCeilings ? forkCeiling('ceiling-db.js', ceilingEnv) : null,
    startApp(databaseEnv, fake.baseUrl),
  ]);
  log(
    `app pid ${app.pid} (${app.workers} process${app.workers > 1 ? 'es' : ''}) at ${app.baseUrl}; fake at ${fake.baseUrl}`,
  );
  let base = app.baseUrl;

  // ---- seed
  const t0 = performance.now();
  const password = `Bench-${randomBytes(12).toString('hex')}!`;
  const users = {};
  for (const name of ['list', 'post', 'stream']) {
    const username = `bench_${name}_${randomBytes(3).toString('hex')}`;
    await api(base, 'POST', '/api/v1/auth/register', { body: { username, password } });
    const pair = await api(base, 'POST', '/api/v1/auth/login', { body: { username, password } });
    users[name] = { username, token: pair.access_token };
  }
  if (wants('search')) {
    users.search = [];
    for (let i = 0; i < CFG.searchApiUsers; i += 1) {
      const username = `bench_searcher_${randomBytes(3).toString('hex')}`;
      const { id } = await api(base, 'POST', '/api/v1/auth/register', { body: { username, password } });
      const pair = await api(base, 'POST', '/api/v1/auth/login', { body: { username, password } });
      users.search.push({ id, token: pair.access_token });
    }
    // Bulk SQL on the app's database: on PostgreSQL beside the app; the embedded one admits one process,
    // so the app is stopped meanwhile and started again on the seeded data (the tokens stay valid).
    const embedded = MODE === 'embedded';
    if (embedded) await stopChild(app.child);
    const pgEmbedded = embedded ? await EmbeddedPostgres.start(databaseEnv.DATA_DIR) : null;
    const client = new pg.Client(
      pgEmbedded
        ? { host: pgEmbedded.host, port: pgEmbedded.port, user: 'postgres', database: 'postgres' }
        : { connectionString: databaseEnv.DATABASE_URL },
    );
    await client.connect();
    try {
      const seeded = await seedSearchData(client, {
        apiUsers: users.search.map((u) => u.id),
        userCount: CFG.searchUsers,
        messageCount: CFG.searchMessages,
      });
      log(
        `search data: ${seeded.messages} messages in ${seeded.sessions} sessions of ${seeded.users} users, ` +
          `bulk SQL in ${(seeded.ms / 1000).toFixed(1)} s`,
      );
    } finally {
      await client.end();
      await pgEmbedded?.stop();
    }
    if (embedded) {
      app = await startApp(databaseEnv, fake.baseUrl);
      base = app.baseUrl;
      log(`app restarted on the seeded data: pid ${app.pid} at ${base}`);
    }
  }
  const newSession = (token) =>
    api(base, 'POST', '/api/v1/chat-sessions', { token, body: {} }).then((s) => s.id);
  const post = (token, id, i) =>
    api(base, 'POST', `/api/v1/chat-sessions/${id}/messages`, {
      token,
      body: { content: `${QUESTION}${i}.` },
    });

  const listSessions = await mapLimit(range(CFG.listSessions), 8, () => newSession(users.list.token));
  const pageSession = listSessions[0];
  if (wants('messages'))
    // One turn at a time: turns posted at once into one session would all answer its same leaf, as
    // siblings, and leave a shorter path than the page's.
    await mapLimit(range(CFG.pageMessages / 2), 1, (i) => post(users.list.token, pageSession, i));
  // One session per connection: sixteen posts at once into one session would also measure its row lock.
  const postSessions = ['post', 'budgets'].some(wants)
    ? await mapLimit(range(CFG.postSessions), 8, () => newSession(users.post.token))
    : [];
  let bigSessions = [];
  let freshSessions = [];
  let bigTree = null; // what the big sessions are: their message count, branches and active path
  if (wants('big')) {
    // One long session per connection, as the fresh side has one session per request: 16 posts at once
    // into one session would measure waits for its row lock, not the length of its history (and answer
    // its same leaf, as siblings).
    bigSessions = await mapLimit(range(CFG.bigSessions), 8, () => newSession(users.post.token));
    // Through the API, as a user would build them: the sessions are built at once, each one turn at a time.
    const pathLengths = await Promise.all(
      bigSessions.map((id) =>
        buildBranchedSession(base, users.post.token, id, CFG.bigMessages, CFG.bigBranches),
      ),
    );
    const built = await readBackSession(base, users.post.token, bigSessions[0]);
    log(
      `big sessions: ${built.messageCount} messages, ${CFG.bigBranches} branches; active path ${built.pathLength} ` +
        `messages, ${built.forks} of them with siblings`,
    );
    if (built.pathLength !== pathLengths[0] || built.forks !== CFG.bigBranches)
      throw new Error(
        `a big session reads back as ${JSON.stringify(built)}, built with a path of ${pathLengths[0]} and ${CFG.bigBranches} branches`,
      );
    bigTree = { ...built, branches: CFG.bigBranches };
    freshSessions = await mapLimit(range(CFG.bigRequests * CFG.bigRounds), 8, () =>
      newSession(users.post.token),
    );
  }
  const auth = (token) => ({ authorization: `Bearer ${token}` });
  const jsonPost = (token) => ({ ...auth(token), 'content-type': 'application/json' });
  /** autocannon options that post a question into each of `sessions` in turn, one request each. */
  const postsInto = (sessions, tag, origin = base) =>
    postsInTurn(
      origin,
      sessions.map((id) => `/api/v1/chat-sessions/${id}/messages`),
      jsonPost(users.post.token),
      { content: `${QUESTION}${tag}.` },
    );
  if (['post', 'big', 'budgets'].some(wants)) {
    // Untimed turns, before the statistics are taken: a posting scenario with no earlier one would
    // otherwise pay for a cold JIT (BENCH_ONLY=big made the ratio ×1.03 instead of ×1.6), and on
    // PostgreSQL for plans made while the tables were near-empty (sequential scans that a server's
    // autovacuum replaces within a minute; BENCH_ONLY=post measured 0.07 of the db ceiling instead of 0.15).
    const warmUpSessions = await mapLimit(range(WARM_UP_REQUESTS), 8, () => newSession(users.post.token));
    await cannon({ ...postsInto(warmUpSessions, 'warm-up'), amount: WARM_UP_REQUESTS });
  }
  const realisticSessions = wants('realistic')
    ? await mapLimit(range(CFG.realisticClients), 8, () => newSession(users.stream.token))
    : [];
  const streamSessions = wants('stream')
    ? await mapLimit(range(CFG.streamSessions), 8, () => newSession(users.stream.token))
    : [];
  if (MODE === 'postgres') {
    // What autovacuum would do within a minute, done now rather than during the measurements: the
    // seeding leaves tens of thousands of dead session rows and new messages behind.
    const client = new pg.Client({ connectionString: databaseEnv.DATABASE_URL });
    await client.connect();
    await client.query('VACUUM (ANALYZE) chat_sessions, messages');
    await client.query('CHECKPOINT').catch(() => undefined); // needs a superuser or pg_checkpoint
    await client.end();
  }
  log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s (${fake.stats.requests} fake calls)`);
  fake.resetStats();

  const results = { ceilings: {}, scenarios: {}, embeddedStart };

  const ceilingRound = async (round) => {
    if (!jsonCeiling) return;
    results.ceilings[`json${round}`] = await measure(
      `ceiling: bare node:http JSON (${round})`,
      { url: jsonCeiling.url },
      jsonCeiling.pid,
    );
    results.ceilings[`db${round}`] = await measure(
      `ceiling: node:http + pg, 20 rows (${round})`,
      { url: dbCeiling.url },
      dbCeiling.pid,
    );
  };

  // ---- ceilings, then the throughput scenarios, each beside the db ceiling, then the ceilings again
  await ceilingRound(1);
  // The GET scenarios have had no traffic yet: one untimed second first, so that no segment pays for a cold JIT.
  const warmedAgainstDbCeiling = async (name, opts, server = app) => {
    await cannon({ ...opts, duration: 1 });
    return measureAgainstDbCeiling(name, opts, server.pid, dbCeiling);
  };
  const listRun = (origin) => ({
    url: `${origin}/api/v1/chat-sessions?limit=20`,
    headers: auth(users.list.token),
  });
  /** The search: each request the next of SEARCH_QUERIES, as the next of the search users. */
  const searchRun = (origin) => {
    let next = 0;
    const paths = SEARCH_QUERIES.map((q) => `/api/v1/search?q=${encodeURIComponent(q)}&limit=20`);
    return {
      url: `${origin}${paths[0]}`,
      requests: [
        {
          setupRequest: (request) => {
            const i = next++;
            const user = users.search[Math.floor(i / paths.length) % users.search.length];
            return { ...request, path: paths[i % paths.length], headers: auth(user.token) };
          },
        },
      ],
    };
  };
  const pageRun = (origin) => ({
    url: `${origin}/api/v1/chat-sessions/${pageSession}/messages?limit=50`,
    headers: auth(users.list.token),
  });
  if (wants('list'))
    results.scenarios.list = await profiled(app, 'list', () =>
      warmedAgainstDbCeiling('GET /api/v1/chat-sessions?limit=20', listRun(base)),
    );
  if (wants('messages'))
    results.scenarios.messages = await profiled(app, 'messages', () =>
      warmedAgainstDbCeiling('GET …/messages?limit=50', pageRun(base)),
    );
  if (wants('search'))
    results.scenarios.search = await profiled(app, 'search', () =>
      warmedAgainstDbCeiling(
        `GET /api/v1/search?q=…&limit=20 (${SEARCH_QUERIES.length} queries × ${users.search.length} users in turn)`,
        searchRun(base),
      ),
    );
  if (wants('history'))
    results.history = await runHistory({
      app,
      base,
      password,
      tools: { forkCeiling, ceilingEnv, measureAgainstCeiling: measureAgainstDbCeiling, profiled, log, cannon },
    });
  /**
   * Untimed posting into the scenario's own sessions first: the seeding's 2,000 turns, each the first of a
   * fresh session, left the long-context path cold, and a POST's segments then rose through the whole
   * measurement (0.13 → 0.18 of the db ceiling in one run, 0.15 → 0.23 in the next); the sessions' contexts
   * also reach their budget, where a long conversation stays.
   */
  const warmUpPosting = (origin) =>
    cannon({ ...postsInto(postSessions, 'warm-up', origin), duration: POST_WARM_UP_S });
  if (wants('post')) {
    await warmUpPosting(base);
    fake.resetStats();
    results.scenarios.post = await profiled(app, 'post', () =>
      measureAgainstDbCeiling(
        `POST …/messages (OpenAI SDK → fake), ${postSessions.length} sessions`,
        postsInto(postSessions, 'under load'),
        app.pid,
        dbCeiling,
      ),
    );
    results.scenarios.post.context = fake.resetStats();
    if (dbCeiling)
      results.ceilings.turn = await measureTurnCeiling(dbCeiling, fake, results.scenarios.post.context);
  }
  // ---- a completion through the OpenAI-compatible gateway (API key, no session stored), beside the db
  // ceiling, then a turn ceiling sending the same context (one question), so that the ratio compares like with like
  if (wants('gateway')) {
    const { key } = await api(base, 'POST', '/api/v1/api-keys', {
      token: users.post.token,
      body: { name: 'bench' },
    });
    const models = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    const model = (await models.json()).data.find((m) => m.id.startsWith('openai/')).id;
    const completions = postsInTurn(
      base,
      ['/v1/chat/completions'],
      { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      { model, messages: [{ role: 'user', content: `${QUESTION}under load.` }] },
    );
    await cannon({ ...completions, duration: POST_WARM_UP_S });
    fake.resetStats();
    results.scenarios.gateway = await profiled(app, 'gateway', () =>
      measureAgainstDbCeiling(
        `POST /v1/chat/completions (${model}, gateway → fake)`,
        completions,
        app.pid,
        dbCeiling,
      ),
    );
    results.scenarios.gateway.context = fake.resetStats();
    if (dbCeiling)
      results.ceilings.gatewayTurn = await measureTurnCeiling(
        dbCeiling,
        fake,
        results.scenarios.gateway.context,
      );
  }
  // ---- the POST with and without token budgets for its user, alternating, each beside the db ceiling
  if (wants('budgets')) {
    if (MODE !== 'postgres')
      log('budgets: skipped (needs PostgreSQL: the budgets are set in the users table while the app runs)');
    else {
      if (!wants('post')) await warmUpPosting(base);
      results.budgets = await measureBudgets(databaseEnv.DATABASE_URL, users.post.username, (label) =>
        measureAgainstDbCeiling(
          `POST …/messages, budgets ${label}`,
          postsInto(postSessions, `budgets ${label}`),
          app.pid,
          dbCeiling,
        ),
      );
    }
  }
  // ---- scenarios 1–3 again with one worker per usable CPU (HTTP_WORKERS=auto), on the same database
  const workersWanted = CFG.compareWorkers && !CFG.profile && MODE === 'postgres' && usableCpus() > 1;
  if (workersWanted && app.workers === 1 && ['list', 'messages', 'post'].some(wants)) {
    const pooled = await startApp(databaseEnv, fake.baseUrl, { HTTP_WORKERS: 'auto' });
    cleanups.push(() => stopChild(pooled.child));
    log(`app with ${pooled.workers} workers: pid ${pooled.pid} at ${pooled.baseUrl}`);
    const byWorkers = (results.workers = { processes: pooled.workers });
    if (wants('list'))
      byWorkers.list = await warmedAgainstDbCeiling(
        `${pooled.workers} workers: GET chat-sessions`,
        listRun(pooled.baseUrl),
        pooled,
      );
    if (wants('messages'))
      byWorkers.messages = await warmedAgainstDbCeiling(
        `${pooled.workers} workers: GET …/messages`,
        pageRun(pooled.baseUrl),
        pooled,
      );
    if (wants('post')) {
      // as many untimed turns per worker as the first app had
      await cannon({
        ...postsInto(postSessions, 'warm-up', pooled.baseUrl),
        amount: WARM_UP_REQUESTS * pooled.workers,
      });
      await warmUpPosting(pooled.baseUrl);
      byWorkers.post = await measureAgainstDbCeiling(
        `${pooled.workers} workers: POST …/messages`,
        postsInto(postSessions, 'under load', pooled.baseUrl),
        pooled.pid,
        dbCeiling,
      );
    }
    await stopChild(pooled.child);
  }
  await ceilingRound(2);

  // ---- a 3,000-message session against fresh ones (one fresh session per request)
  if (wants('big')) {
    // Several rounds, the side measured first alternating, so that one noisy second or a drift of the
    // machine does not decide the verdict: the ratios are the median of the rounds'.
    const freshPosts = postsInto(freshSessions, 'fresh');
    const bigPosts = postsInto(bigSessions, 'big');
    const measureFresh = (round) =>
      profiled(app, `big-fresh-${round}`, () =>
        measure(
          `POST into fresh sessions (${CFG.bigRequests} requests, round ${round})`,
          { ...freshPosts, amount: CFG.bigRequests },
          app.pid,
        ),
      );
    const measureBig = (round) =>
      profiled(app, `big-${CFG.bigMessages}-${round}`, () =>
        measure(
          `POST into ${bigSessions.length} ${CFG.bigMessages}-message sessions (${CFG.bigRequests} requests, round ${round})`,
          { ...bigPosts, amount: CFG.bigRequests },
          app.pid,
        ),
      );
    const rounds = [];
    let freshContext = newStats();
    let bigContext = newStats();
    for (let round = 1; round <= CFG.bigRounds; round += 1) {
      const side = async (measureSide) => {
        fake.resetStats();
        const result = await measureSide(round);
        return { result, context: fake.resetStats() };
      };
      const [fresh, big] =
        round % 2 === 1
          ? [await side(measureFresh), await side(measureBig)]
          : [await side(measureBig), await side(measureFresh)].reverse();
      freshContext = mergeContextStats(freshContext, fresh.context);
      bigContext = mergeContextStats(bigContext, big.context);
      rounds.push({
        fresh: fresh.result,
        big: big.result,
        p50Ratio: big.result.p50 / fresh.result.p50,
        meanRatio: big.result.latencyMean / fresh.result.latencyMean,
      });
    }
    results.scenarios.bigFresh = { ...meanOfRuns(rounds.map((r) => r.fresh)), context: freshContext };
    results.scenarios.big = { ...meanOfRuns(rounds.map((r) => r.big)), context: bigContext };
    results.bigSession = {
      rounds: rounds.map(({ p50Ratio, meanRatio }) => ({ p50Ratio, meanRatio })),
      p50Ratio: median(rounds.map((r) => r.p50Ratio)),
      meanRatio: median(rounds.map((r) => r.meanRatio)),
      maxMessages: bigContext.maxMessages,
      maxChars: bigContext.maxChars,
      boundChars: CFG.contextTokens * 4,
      tree: bigTree,
    };
  }

  // ---- 2,000 concurrent SSE answers with a 50 ms-per-token fake
  if (wants('stream')) {
    fake.options.tokenDelayMs = CFG.tokenDelayMs;
    fake.options.streamTokens = CFG.streamTokens;
    fake.resetStats();
    const appProcesses = processTree(app.pid); // read once: the sampler below runs every 100 ms
    try {
      // resets VmHWM (peak RSS) where the kernel allows
      for (const pid of appProcesses) writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      /* not allowed: VmHWM then covers the whole run */
    }
    const rssBefore = rssKiB(appProcesses);
    let peak = rssBefore ?? 0;
    const sampler = setInterval(() => {
      const rss = rssKiB(appProcesses);
      if (rss !== null && rss > peak) peak = rss;
    }, 100);
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const cpuBefore = cpuMs(app.pid);
    log(`streaming ${CFG.streams} answers at once (${CFG.streamTokens} tokens × ${CFG.tokenDelayMs} ms) …`);
    const started = performance.now();
    const outcomes = await profiled(app, 'stream', () =>
      Promise.all(
        range(CFG.streams).map((i) =>
          streamOne(
            agent,
            base,
            users.stream.token,
            streamSessions[i % streamSessions.length],
            `${QUESTION}stream ${i}.`,
          ),
        ),
      ),
    );
    const totalMs = performance.now() - started;
    // The app's CPU over the whole scenario (turns stored, provider calls, deltas relayed), per delta sent.
    const appCpuMs = cpuMs(app.pid) - cpuBefore;
    clearInterval(sampler);
    agent.destroy();
    fake.options.tokenDelayMs = 0;
    const hwm = rssKiB(appProcesses, 'VmHWM');
    const ok = outcomes.filter((o) => o.status === 200 && o.completed === 1);
    const durations = ok.map((o) => o.ms);
    const firstBytes = ok.map((o) => o.firstByteMs);
    results.scenarios.stream = {
      streams: CFG.streams,
      completed: ok.length,
      failedEvents: outcomes.reduce((n, o) => n + (o.failed ?? 0), 0),
      transportErrors: outcomes.filter((o) => o.error).length,
      non200: outcomes.filter((o) => o.status && o.status !== 200).length,
      errorSamples: [
        ...new Set(
          outcomes
            .filter((o) => o.error || (o.status && o.status !== 200))
            .map((o) => o.error ?? `HTTP ${o.status}`),
        ),
      ].slice(0, 5),
      totalS: totalMs / 1000,
      streamP50Ms: percentile(durations, 50),
      streamP99Ms: percentile(durations, 99),
      firstByteP50Ms: percentile(firstBytes, 50),
      firstByteP99Ms: percentile(firstBytes, 99),
      rssBeforeMiB: rssBefore / 1024,
      peakRssMiB: peak / 1024,
      vmHwmMiB: hwm / 1024,
      fakeCalls: fake.stats.requests,
      appCpuMs,
      cpuMsPerDelta:
        appCpuMs /
        Math.max(
          1,
          ok.reduce((n, o) => n + o.deltas, 0),
        ),
      redis: Boolean(appOverrides().REDIS_URL),
    };
    const s = results.scenarios.stream;
    log(
      `  ${s.completed}/${s.streams} streams completed in ${s.totalS.toFixed(1)} s; peak RSS ${s.peakRssMiB.toFixed(0)} MiB (VmHWM ${s.vmHwmMiB.toFixed(0)} MiB); ` +
        `app CPU ${s.appCpuMs.toFixed(0)} ms, ${(s.cpuMsPerDelta * 1000).toFixed(0)} µs a delta${s.redis ? ' (Redis)' : ''}`,
    );
  }

  // ---- a realistic model: streamed turns from a fake that takes 300 ms to its first token, 20 ms a token
  if (wants('realistic'))
    results.scenarios.realistic = await profiled(app, 'realistic', () =>
      measureRealistic(app, fake, users.stream.token, realisticSessions),
    );

  if (wants('seed-lists'))
    results.seedLists = await profiled(app, 'seed-lists', () =>
      measureSeedLists(
        {
          base,
          ...users.list,
          password,
          accessToken: users.list.token,
          pid: app.pid,
          rounds: CFG.segments,
          duration: CFG.duration / CFG.segments,
        },
        { api, cannon, measure, median, meanOfRuns },
      ),
    );

  // ---- logins (argon2id verifications per second)
  if (wants('login'))
    results.scenarios.login = await profiled(app, 'login', () =>
      measure(
        `POST /api/v1/auth/login (${CFG.loginConnections} connections)`,
        {
          url: `${base}/api/v1/auth/login`,
          connections: CFG.loginConnections,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: users.list.username, password }),
        },
        app.pid,
      ),
    );

  if (CFG.profileWhole) {
    await stopChild(app.child); // the app writes its --cpu-prof file as it exits
    const file = readdirSync(CFG.profileDir).find(
      (f) => f.includes(`.${app.pid}.`) && f.endsWith('.cpuprofile'),
    );
    if (file) profiles.push({ name: 'whole run', file: join(CFG.profileDir, file) });
  }
  report(results, { appPid: app.pid, workers: app.workers, databaseServer });
  if (profiles.length > 0) {
    console.log('\nCPU profiles (self time; node bench/profile-summary.js FILE --filter REGEX for more):');
    for (const { name, file } of profiles) {
      console.log(
        formatSummary(`${name} (${file})`, summarise(JSON.parse(readFileSync(file, 'utf8'))), { top: 15 }),
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------- report

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Several runs of one scenario as one row: counts summed, rates and latencies averaged. */
function meanOfRuns(runs) {
  const avg = (key) => mean(...runs.map((r) => r[key]));
  const sum = (key) => runs.reduce((n, r) => n + r[key], 0);
  return {
    serverCpuMsPerReq: avg('serverCpuMsPerReq'),
    dbCpuMsPerReq: avg('dbCpuMsPerReq'),
    benchCpuMsPerReq: avg('benchCpuMsPerReq'),
    rps: avg('rps'),
    total: sum('total'),
    latencyMean: avg('latencyMean'),
    p50: avg('p50'),
    p99: avg('p99'),
    errors: sum('errors'),
    non2xx: sum('non2xx'),
    durationS: sum('durationS'),
  };
}

/**
 * Search's throughput over the session list's: the ratio of their ratios to the db ceiling beside each (which
 * the VM's drift between the two measurements cannot move) when both have one, else of their req/s.
 */
function searchRatio(search, list) {
  if (search.xDb && list.xDb)
    return { ratio: search.xDb / list.xDb, how: 'the ratio of their ratios to the db ceiling beside each' };
  return { ratio: search.rps / list.rps, how: 'req/s over req/s' };
}

function mergeContextStats(a, b) {
  return {
    requests: a.requests + b.requests,
    streamed: a.streamed + b.streamed,
    maxMessages: Math.max(a.maxMessages, b.maxMessages),
    maxChars: Math.max(a.maxChars, b.maxChars),
    totalMessages: a.totalMessages + b.totalMessages,
    totalChars: a.totalChars + b.totalChars,
  };
}

function mean(...values) {
  const present = values.filter((v) => typeof v === 'number');
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
}

function report(results, { appPid, workers, databaseServer }) {
  const bigLabel = `${CFG.bigMessages}-message session with ${CFG.bigBranches} branches`;
  const c = results.ceilings;
  // a ceiling round with errors is no ceiling: it is left out of the reference (and reported)
  const clean = (r) => (r && answeredCleanly(r) ? r.rps : undefined);
  for (const [key, r] of Object.entries(c))
    if (r && !answeredCleanly(r))
      console.log(`WARNING: ceiling round ${key} had errors; left out of the reference`);
  const jsonRef = mean(clean(c.json1), clean(c.json2));
  const dbRef = mean(clean(c.db1), clean(c.db2));
  // scenarios measured beside the db ceiling have their own ratio (the median of their segments')
  const xDbOf = (r) => r.xDb ?? (dbRef ? r.rps / dbRef : null);
  const rows = [];
  const row = (label, r) => {
    if (!r) return;
    rows.push({
      scenario: label,
      rps: r.rps,
      p50: r.p50,
      p99: r.p99,
      mean: r.latencyMean,
      cpu: r.serverCpuMsPerReq,
      dbCpu: r.dbCpuMsPerReq,
      benchCpu: r.benchCpuMsPerReq,
      errors: r.errors,
      non2xx: r.non2xx,
      xJson: jsonRef ? r.rps / jsonRef : null,
      xDb: xDbOf(r),
    });
  };
  row('ceiling: node:http JSON (before)', c.json1);
  row('ceiling: node:http JSON (after)', c.json2);
  row('ceiling: node:http + pg 20 rows (before)', c.db1);
  row('ceiling: node:http + pg 20 rows (after)', c.db2);
  row('ceiling: a bare turn (2 INSERTs + SDK)', c.turn);
  row("ceiling: a bare turn, the gateway's context", c.gatewayTurn);
  const s = results.scenarios;
  row('1. GET chat-sessions?limit=20', s.list);
  row('2. GET messages?limit=50', s.messages);
  row('3. POST message (OpenAI SDK → fake)', s.post);
  row(`8. GET search (${CFG.searchMessages} messages, ${CFG.searchUsers} users)`, s.search);
  row('10. POST /v1/chat/completions (gateway)', s.gateway);
  const { processes: workerCount, ...byWorkers } = results.workers ?? {};
  row(`1. (${workerCount} workers) GET chat-sessions`, byWorkers.list);
  row(`2. (${workerCount} workers) GET messages`, byWorkers.messages);
  row(`3. (${workerCount} workers) POST message`, byWorkers.post);
  const perSide = `${CFG.bigRounds}×${CFG.bigRequests} req`;
  row(`4a. POST into fresh sessions (${perSide})`, s.bigFresh);
  row(
    `4b. POST into ${CFG.bigSessions} ${CFG.bigMessages}-msg, ${CFG.bigBranches}-branch sessions (${perSide})`,
    s.big,
  );
  if (results.budgets) {
    row('9a. POST message, budgets off', { ...results.budgets.off, xDb: results.budgets.xDbOff });
    row('9b. POST message, budgets on', { ...results.budgets.on, xDb: results.budgets.xDbOn });
  }
  row(`6. POST auth/login (${CFG.loginConnections} conn, argon2id)`, s.login);
  row(`7. realistic model, ${CFG.realisticClients} clients (ms: added to the model's)`, s.realistic);

  const fmt = (v, d = 0) => (v === null || v === undefined ? 'n/a' : v.toFixed(d));
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'mean ms',
    'errors',
    'non-2xx',
    '×json',
    '×db',
    'CPU ms/req',
    'db CPU',
    'bench CPU',
  ];
  const table = [
    header,
    ...rows.map((r) => [
      r.scenario,
      fmt(r.rps),
      fmt(r.p50),
      fmt(r.p99),
      fmt(r.mean, 1),
      String(r.errors),
      String(r.non2xx),
      fmt(r.xJson, 3),
      fmt(r.xDb, 3),
      fmt(r.cpu, 3),
      fmt(r.dbCpu, 3),
      fmt(r.benchCpu, 3),
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((line) => line[i].length)));
  const line = (cells) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(
    `\n=== bench (${MODE}${databaseServer ? ` ${databaseServer.version}, autovacuum ${databaseServer.autovacuum}` : ''}) — the app as ${workers > 1 ? `${workers} processes (HTTP_WORKERS)` : 'one process'}${workerCount ? ` ("${workerCount} workers": HTTP_WORKERS=auto, measured after, same database)` : ''}; ${CFG.connections} connections × ${CFG.duration} s; ×db of scenarios 1–3 and the turn ceiling = the median of ${CFG.segments} segments' ratios,\n` +
      `each to the db ceiling run just before and after it (req/s and CPU: means of the segments); other rows: ratios to the mean of the ceiling rows (before/after);\n` +
      `CPU ms/req = CPU time of the serving process (app, its workers included, or ceiling; not PostgreSQL's, not the load generator's) per answered request;\n` +
      `db CPU = the same for the local PostgreSQL server's processes; bench CPU = this process's (load generator and OpenAI fake)`,
  );
  console.log(line(table[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const cells of table.slice(1)) console.log(line(cells));

  const paired = [
    ['1. list', s.list],
    ['2. page', s.messages],
    ['3. POST', s.post],
    ['8. search', s.search],
    ['turn ceiling', c.turn],
    ['10. gateway', s.gateway],
    ["turn ceiling, the gateway's context", c.gatewayTurn],
    [`1. list, ${workerCount} workers`, byWorkers.list],
    [`2. page, ${workerCount} workers`, byWorkers.messages],
    [`3. POST, ${workerCount} workers`, byWorkers.post],
  ].filter(([, r]) => r?.segments);
  if (paired.length) {
    console.log('\nSegment ratios to the db ceiling beside them (median in the table):');
    for (const [label, r] of paired)
      console.log(
        `  ${label}: ${r.segments.map((x) => (x.ratio === null ? 'n/a' : x.ratio.toFixed(3))).join(', ')}` +
          ` (db ceiling beside it: ${fmt(r.dbCeiling.rps)} req/s)`,
      );
  }
  if (c.turn && s.post) {
    const meanContext = ({ context: x }) =>
      `${fmt(x.totalMessages / x.requests, 1)} messages, ${fmt(x.totalChars / x.requests)} chars`;
    console.log(
      `\n3. POST makes ×${fmt(xDbOf(s.post) / xDbOf(c.turn), 3)} of the turn ceiling (the ratio of their ratios to the db ceiling; a bare turn: ×${fmt(xDbOf(c.turn), 3)} of the db ceiling); ` +
        `mean context sent: app ${meanContext(s.post)}, turn ceiling ${meanContext(c.turn)}`,
    );
    if (xDbOf(c.turn) < TARGETS.post)
      console.log(
        `   The turn ceiling itself is below the POST target (${TARGETS.post}): in this run, no server that ` +
          'stores the turn and calls the LLM through the SDK, doing nothing else, would have met it.',
      );
  }
  if (c.gatewayTurn && s.gateway) {
    const sent = ({ context: x }) => `${fmt(x.totalChars / x.requests)} chars`;
    console.log(
      `\n10. a gateway completion makes ×${fmt(xDbOf(s.gateway) / xDbOf(c.gatewayTurn), 3)} of the turn ceiling sending ` +
        `the same context (a bare turn: ×${fmt(xDbOf(c.gatewayTurn), 3)} of the db ceiling)` +
        (c.turn ? `, ×${fmt(xDbOf(s.gateway) / xDbOf(c.turn), 3)} of the POST's turn ceiling` : '') +
        `; mean context sent: gateway ${sent(s.gateway)}, its turn ceiling ${sent(c.gatewayTurn)}`,
    );
  }
  if (results.bigSession) {
    const b = results.bigSession;
    console.log(
      `\n4. ${bigLabel} vs fresh (median of ${b.rounds.length} rounds: ` +
        `${b.rounds.map((r) => `×${r.p50Ratio.toFixed(2)}/${r.meanRatio.toFixed(2)}`).join(', ')}): ` +
        `p50 ×${b.p50Ratio.toFixed(2)}, mean ×${b.meanRatio.toFixed(2)}; ` +
        `context sent for the big session: max ${b.maxMessages} messages, max ${b.maxChars} chars (bound ${b.boundChars} = ${CFG.contextTokens} tokens × 4); ` +
        `each big session as seeded: ${b.tree.messageCount} messages, active path ${b.tree.pathLength}, the rest on its branches`,
    );
  }
  if (s.stream) {
    const t = s.stream;
    console.log(
      `5. ${t.completed}/${t.streams} SSE answers completed (error events ${t.failedEvents}, transport errors ${t.transportErrors}, non-200 ${t.non200}) ` +
        `in ${t.totalS.toFixed(1)} s; per stream p50 ${fmt(t.streamP50Ms)} ms, p99 ${fmt(t.streamP99Ms)} ms; first byte p50 ${fmt(t.firstByteP50Ms)} ms, p99 ${fmt(t.firstByteP99Ms)} ms; ` +
        `app RSS ${fmt(t.rssBeforeMiB)} → peak ${fmt(t.peakRssMiB)} MiB (VmHWM ${fmt(t.vmHwmMiB)} MiB)`,
    );
    if (t.errorSamples.length) console.log(`   errors: ${t.errorSamples.join('; ')}`);
  }
  const searchVsList = s.search && s.list ? searchRatio(s.search, s.list) : null;
  if (s.search)
    console.log(
      `8. search: p50 ${fmt(s.search.p50)} ms, p99 ${fmt(s.search.p99)} ms, ${fmt(s.search.rps)} req/s; ` +
        (searchVsList
          ? `×${fmt(searchVsList.ratio, 3)} of the session list's throughput (${searchVsList.how})`
          : 'no session list in this run to compare with (BENCH_ONLY without list)'),
    );
  if (s.login) console.log(`6. logins: ${s.login.rps.toFixed(1)}/s (≈ argon2id verifications per second)`);
  if (s.realistic) {
    const r = s.realistic;
    console.log(
      `7. realistic model (${REALISTIC.firstTokenMs} ms to the first token, ${REALISTIC.tokens} × ${REALISTIC.tokenMs} ms), ${r.clients} clients: ` +
        `app CPU ${fmt(r.serverCpuMsPerReq, 2)} ms a turn (PostgreSQL ${fmt(r.dbCpuMsPerReq, 2)}); ` +
        `latency added to the model's: first delta p50 ${fmt(r.addedFirstDeltaP50Ms, 1)} ms, p99 ${fmt(r.addedFirstDeltaP99Ms, 1)}, mean ${fmt(r.addedFirstDeltaMeanMs, 1)}; ` +
        `whole answer p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)}, mean ${fmt(r.latencyMean, 1)}; ` +
        `mean context ${fmt(r.context.totalMessages / r.context.requests, 1)} messages`,
    );
  }

  const targets = [];
  const target = (name, value, limit, pass) => targets.push({ name, value, limit, pass });
  const ceilingTargets = { list: 'session list', messages: 'message page', post: 'posting a message' };
  const asRun = workers > 1 ? ` (${workers} workers)` : '';
  // the workers' rows are shown beside the targets, which are the app's as run (npm start: one process)
  for (const [scenarios, config] of [
    [s, asRun],
    [byWorkers, ` (for comparison: ${workerCount} workers)`],
  ])
    for (const [key, label] of Object.entries(ceilingTargets)) {
      if (!scenarios[key] || xDbOf(scenarios[key]) === null) continue;
      const ratio = xDbOf(scenarios[key]);
      const name = `${label}${config} ≥ ${TARGETS[key].toFixed(2)} × db ceiling`;
      target(name, ratio, TARGETS[key], ratio >= TARGETS[key]);
    }
  const errorCount = [
    ...['list', 'messages', 'post', 'bigFresh', 'big', 'login', 'realistic', 'search'].map((k) => s[k]),
    ...Object.values(byWorkers),
  ]
    .filter(Boolean)
    .reduce((n, r) => n + r.errors + r.non2xx, 0);
  if (searchVsList)
    target(
      `search ≥ ${TARGETS.searchVsList} × the session list's throughput`,
      searchVsList.ratio,
      TARGETS.searchVsList,
      searchVsList.ratio >= TARGETS.searchVsList,
    );
  target('no errors / non-2xx in scenarios 1–4, 6–8', errorCount, 0, errorCount === 0);
  if (results.budgets) {
    const { ratio, rounds } = results.budgets;
    target(
      `POST with budgets on ≥ ${TARGETS.budgets} × budgets off (×db ratio)`,
      ratio,
      TARGETS.budgets,
      ratio >= TARGETS.budgets,
    );
    const budgetErrors = [...rounds.off, ...rounds.on].reduce((n, r) => n + r.errors + r.non2xx, 0);
    target('no errors / non-2xx in scenario 9', budgetErrors, 0, budgetErrors === 0);
  }
  for (const t of embeddedStartTargets(results.embeddedStart)) target(...t);
  const seedLists = results.seedLists && seedListsReport(results.seedLists);
  seedLists?.lines.forEach((line) => console.log(line));
  for (const t of seedLists?.targets ?? []) target(...t);
  if (results.bigSession) {
    const b = results.bigSession;
    target(`${bigLabel} p50 ≤ 1.5 × fresh`, b.p50Ratio, TARGETS.bigLatency, b.p50Ratio <= TARGETS.bigLatency);
    target(
      `${bigLabel} mean ≤ 1.5 × fresh`,
      b.meanRatio,
      TARGETS.bigLatency,
      b.meanRatio <= TARGETS.bigLatency,
    );
    target(
      'big-session context ≤ LLM_CONTEXT_TOKENS × 4 chars',
      b.maxChars,
      b.boundChars,
      b.maxChars <= b.boundChars,
    );
  }
  if (s.stream) {
    target(
      `${s.stream.streams} streams all complete`,
      s.stream.completed,
      s.stream.streams,
      s.stream.completed === s.stream.streams,
    );
    target(
      'stream peak RSS < 600 MiB',
      s.stream.peakRssMiB,
      TARGETS.streamRssMiB,
      s.stream.peakRssMiB < TARGETS.streamRssMiB,
    );
  }
  const historyFailures = reportHistory(results.history);
  if (results.history)
    target('whole-conversation reads ≥ 0.6 × history ceiling (above)', historyFailures, 0, !historyFailures);
  console.log(
    `\nTargets${MODE === 'postgres' ? '' : ' (defined for PostgreSQL; shown here for the embedded database)'}:`,
  );
  for (const t of targets) {
    const value =
      typeof t.value === 'number' && !Number.isInteger(t.value) ? t.value.toFixed(3) : String(t.value);
    console.log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${value} (target ${t.limit})`);
  }
  const out = {
    mode: MODE,
    databaseServer,
    at: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    config: { ...CFG, only: CFG.only ? [...CFG.only] : null },
    appPid,
    workers,
    workersComparison: results.workers ?? null,
    reference: { jsonRps: jsonRef, dbRps: dbRef, turnRps: c.turn?.rps ?? null },
    ceilings: c,
    scenarios: s,
    bigSession: results.bigSession ?? null,
    history: results.history ?? null,
    seedLists: results.seedLists ?? null,
    embeddedStart: results.embeddedStart,
    table: rows,
    targets,
    profiles,
  };
  const file = env.BENCH_RESULTS ?? join(BENCH_DIR, 'results.json');
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

async function cleanup() {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (error) {
      console.error('cleanup:', error.message);
    }
  }
}

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
