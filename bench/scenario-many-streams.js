/* global clearInterval, clearTimeout, console, fetch, performance, process, setInterval, setTimeout -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Scenario `streams9k` (issue 28, item 4): BENCH_MANY_STREAMS (9,000) streamed answers open at once in one
// app process, from a fake at BENCH_MANY_STREAMS_TOKEN_MS (400) ms a token, and what each open stream adds
// to the app's RSS over the same process idle. Two sockets a stream in the app (client and provider);
// the fake runs in a child process of its own so that the bench process holds only the clients' sockets.
// Runs on an app of its own (started with the fake's URL), so that "idle" is that process before the streams.
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const num = (value, fallback) => (value === undefined || value === '' ? fallback : Number(value));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const MANY_STREAMS = {
  count: num(env.BENCH_MANY_STREAMS, 9000),
  tokens: num(env.BENCH_MANY_STREAMS_TOKENS, 20),
  tokenMs: num(env.BENCH_MANY_STREAMS_TOKEN_MS, 400),
  /** Streams being opened at once (sent, no event yet): the rest wait, as arrivals spread over seconds. */
  opening: num(env.BENCH_MANY_STREAMS_OPENING, 200),
  /** Heap snapshot of the app when every stream is open (needs the memory preload; stops the app meanwhile). */
  snapshotDir: env.BENCH_MANY_STREAMS_SNAPSHOT_DIR ?? null,
};
/** RSS growth per open stream over the idle app, KiB. */
export const MANY_STREAMS_TARGET_KIB = 60;

const QUESTION =
  'Please explain, in a few sentences, how keyset pagination differs from offset pagination. Number ';
const WORDS = 'the model answers a question in plain words so that each piece of the stream is short '.split(
  ' ',
);

/** The app's RSS (or another /proc status field) in KiB; null once it cannot be read. */
function statusKiB(pid, field = 'VmRSS') {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Open file descriptors of a process (its sockets among them). */
function fdCount(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** The CPU time (user + system, ms) a process has used so far. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // CLK_TCK: 100 on Linux
}

/** One IPC request to a child and its reply with the same `cmd` (null after `timeoutMs`: nobody answers). */
function ask(child, message, timeoutMs = 120_000) {
  return new Promise((done) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      done(null);
    }, timeoutMs);
    const onMessage = (reply) => {
      if (reply?.cmd !== message.cmd) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      done(reply);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

function forkFake(options) {
  const child = fork(join(BENCH_DIR, 'openai-fake-process.js'), [], {
    env: { ...env, FAKE_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, url: `http://127.0.0.1:${m.port}` }));
    child.once('exit', (code) => reject(new Error(`openai-fake-process.js exited with ${code}`)));
  });
}

/**
 * One streamed turn; `onOpen` runs at its first byte (the app has stored the turn and opened the stream).
 * Resolves to its outcome, whether it completed (`message.completed`) or not.
 */
function streamTurn(agent, base, token, sessionId, content, onOpen) {
  return new Promise((done) => {
    const started = performance.now();
    let opened = false;
    let tail = ''; // only the last bytes: 9,000 whole bodies would weigh on the bench, not the app
    let completed = false;
    let failed = false;
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
          if (!opened) {
            opened = true;
            onOpen();
          }
          tail = (tail + chunk).slice(-4096);
          completed ||= tail.includes('event: message.completed');
          if (!failed && tail.includes('event: error'))
            failed = tail.slice(tail.indexOf('event: error')).slice(0, 400);
        });
        response.on('end', () =>
          done({
            status: response.statusCode,
            opened,
            completed,
            failed,
            tail: completed ? undefined : tail.slice(-300),
            ms: performance.now() - started,
          }),
        );
        response.on('error', (error) =>
          done({ error: error.message, opened, ms: performance.now() - started }),
        );
      },
    );
    request.setTimeout(600_000, () => request.destroy(new Error('timeout')));
    request.on('error', (error) => done({ error: error.message, opened, ms: performance.now() - started }));
    request.end(JSON.stringify({ content }));
  });
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

const KiB = (bytes) => bytes / 1024;
const memoryKiB = (reply) =>
  reply && {
    rss: KiB(reply.usage.rss),
    heapUsed: KiB(reply.usage.heapUsed),
    heapTotal: KiB(reply.usage.heapTotal),
    external: KiB(reply.usage.external),
    arrayBuffers: KiB(reply.usage.arrayBuffers),
    newSpace: KiB(reply.spaces.new_space ?? 0),
    oldSpace: KiB(reply.spaces.old_space ?? 0),
  };

/**
 * Runs the scenario. `startApp(fakeUrl, extraEnv)` starts an app of the bench's (resolving to {pid, child,
 * baseUrl}), `stopApp(app)` stops it; `token` is a user's access token valid for that app.
 *
 * The fake holds every answer's first token until all the streams are open (on a shared 2-core VM the
 * tokens of the streams opened first would otherwise slow the opening of the rest so much that the first
 * ones end before the last open), then sends each answer's tokens `tokenMs` apart.
 */
export async function measureManyStreams({ startApp, stopApp, token, log, config = MANY_STREAMS }) {
  const { count, tokens, tokenMs, opening } = config;
  const reply = Array.from({ length: tokens }, (_, i) => WORDS[i % WORDS.length]).join(' ');
  const fake = await forkFake({ reply, streamTokens: tokens, tokenDelayMs: 0 });
  const app = await startApp(fake.url, {
    // A turn waits for a pooled connection up to DB_CONNECT_TIMEOUT_MS (5 s by default): with thousands of
    // streams being opened on 2 cores, some wait longer than that (503), as in the stream scenario.
    DB_CONNECT_TIMEOUT_MS: '60000',
    // The held first tokens: the provider's silence before the first chunk is bounded by LLM_TIMEOUT_MS.
    LLM_TIMEOUT_MS: '600000',
  });
  const probe = async (gc) => memoryKiB(await ask(app.child, { cmd: 'memory', gc }, 60_000));
  const snapshot = (name) =>
    config.snapshotDir &&
    ask(
      app.child,
      { cmd: 'heap-snapshot', file: join(config.snapshotDir, `many-streams-${name}.heapsnapshot`) },
      600_000,
    );
  try {
    const base = app.baseUrl;
    const newSession = () =>
      fetch(`${base}/api/v1/chat-sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      }).then(async (r) => {
        if (!r.ok) throw new Error(`POST /chat-sessions: HTTP ${r.status}`);
        return (await r.json()).id;
      });
    // One session a stream, as 9,000 users would have; made before the idle reading.
    const sessions = await mapLimit(Array.from({ length: count }), 16, newSession);
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    // Warm-up (untimed, zero-latency fake): the stream path compiled and its modules loaded before "idle".
    const warmUp = await mapLimit(Array.from({ length: 200 }), 50, async (_, i) =>
      streamTurn(agent, base, token, await newSession(), `${QUESTION}warm-up ${i}.`, () => undefined),
    );
    if (!warmUp.every((o) => o.completed)) throw new Error('the warm-up streams did not all complete');
    await ask(fake.child, { cmd: 'options', options: { tokenDelayMs: tokenMs, holdFirstToken: true } });
    await sleep(3000);
    const idle = { rss: statusKiB(app.pid), fds: fdCount(app.pid), memory: await probe(false) };
    idle.live = await probe(true);
    await snapshot('idle');
    log(
      `many streams: idle app ${(idle.rss / 1024).toFixed(0)} MiB RSS, ${idle.fds} fds; opening ${count} streams ` +
        `(at most ${opening} at once), then ${tokens} tokens × ${tokenMs} ms each …`,
    );

    let open = 0;
    let settled = 0; // opened or ended without opening
    const samples = [];
    let lastLog = 0;
    const sampler = setInterval(() => {
      const rss = statusKiB(app.pid);
      if (rss !== null) samples.push({ rss, open });
      if (performance.now() - lastLog >= 10_000) {
        lastLog = performance.now();
        log(`  ${open} open, ${settled} opened or failed, RSS ${(rss / 1024).toFixed(0)} MiB`);
      }
    }, 250);
    const cpuBefore = cpuMs(app.pid);
    let allOpen = null;
    let allSettled;
    const everyOneSettled = new Promise((resolve) => (allSettled = resolve));
    const onSettled = () => (settled += 1) === count && allSettled();
    let gate = opening;
    const waiting = [];
    const admit = () => (gate > 0 ? ((gate -= 1), Promise.resolve()) : new Promise((r) => waiting.push(r)));
    const freeSlot = () => (waiting.length > 0 ? waiting.shift()() : (gate += 1));
    const started = performance.now();
    const running = Promise.all(
      sessions.map(async (sessionId, i) => {
        await admit();
        const outcome = await streamTurn(agent, base, token, sessionId, `${QUESTION}${i}.`, () => {
          open += 1;
          freeSlot();
          onSettled();
        });
        if (outcome.opened) open -= 1;
        else {
          freeSlot();
          onSettled();
        }
        return outcome;
      }),
    );
    await everyOneSettled;
    // Every stream is open (or failed), each answer waiting for its first token: the app's memory now, and
    // after a full GC (live objects only).
    allOpen = {
      s: (performance.now() - started) / 1000,
      open,
      rss: statusKiB(app.pid),
      fds: fdCount(app.pid),
    };
    allOpen.memory = await probe(false);
    allOpen.live = await probe(true);
    await snapshot(`${count}-open`);
    log(
      `  ${open} open after ${allOpen.s.toFixed(1)} s, RSS ${(allOpen.rss / 1024).toFixed(0)} MiB; the tokens start`,
    );
    await ask(fake.child, { cmd: 'release' });
    const outcomes = await running;
    const totalMs = performance.now() - started;
    const appCpuMs = cpuMs(app.pid) - cpuBefore;
    clearInterval(sampler);
    agent.destroy();
    const peakRss = Math.max(...samples.map((s) => s.rss));
    const completed = outcomes.filter((o) => o.status === 200 && o.completed).length;
    const result = {
      streams: count,
      tokens,
      tokenMs,
      completed,
      failedEvents: outcomes.filter((o) => o.failed).length,
      failedSample: outcomes.find((o) => o.failed)?.failed ?? null,
      incompleteSample: outcomes.find((o) => !o.completed)?.tail ?? null,
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
      appCpuMs,
      idleRssMiB: idle.rss / 1024,
      peakRssMiB: peakRss / 1024,
      maxOpen: allOpen.open,
      // the whole run's peak over the idle process, per stream open at once
      kibPerOpenStream: (peakRss - idle.rss) / Math.max(1, allOpen.open),
      kibPerOpenStreamBeforeTokens: (allOpen.rss - idle.rss) / Math.max(1, allOpen.open),
      idle,
      allOpen,
    };
    log(
      `  ${completed}/${count} completed in ${result.totalS.toFixed(1)} s (${allOpen.open} open at once); ` +
        `RSS peak ${result.peakRssMiB.toFixed(0)} MiB against ${result.idleRssMiB.toFixed(0)} idle: ` +
        `${result.kibPerOpenStream.toFixed(1)} KiB a stream (${result.kibPerOpenStreamBeforeTokens.toFixed(1)} ` +
        `before the first tokens); app CPU ${(appCpuMs / 1000).toFixed(1)} s`,
    );
    if (completed < count && app.output)
      log(`  the app's last output:\n${app.output.join('').split('\n').slice(-15).join('\n').slice(-3000)}`);
    for (const [name, m] of [
      ['idle', idle.memory],
      ['idle, after a GC', idle.live],
      ['all open', allOpen.memory],
      ['all open, after a GC', allOpen.live],
    ])
      if (m)
        log(
          `  ${name}: ` +
            Object.entries(m)
              .map(([k, v]) => `${k} ${(v / 1024).toFixed(1)}`)
              .join(', ') +
            ' MiB',
        );
    return result;
  } finally {
    await stopApp(app);
    fake.child.kill('SIGTERM');
  }
}

/** The report's line and its target: growth per open stream ≤ 60 KiB, every stream complete. */
export function manyStreamsReport(result, target) {
  if (!result) return;
  console.log(
    `\nstreams9k: ${result.completed}/${result.streams} streamed answers completed (${result.tokens} tokens × ${result.tokenMs} ms) in ` +
      `${result.totalS.toFixed(1)} s; ${result.maxOpen} open at once; RSS peak ${result.peakRssMiB.toFixed(0)} MiB, ` +
      `${result.idleRssMiB.toFixed(0)} MiB idle: ${result.kibPerOpenStream.toFixed(1)} KiB a stream`,
  );
  target(
    `RSS growth per open stream ≤ ${MANY_STREAMS_TARGET_KIB} KiB, all ${result.streams} complete`,
    Number(result.kibPerOpenStream.toFixed(1)),
    MANY_STREAMS_TARGET_KIB,
    result.kibPerOpenStream <= MANY_STREAMS_TARGET_KIB &&
      result.completed === result.streams &&
      result.maxOpen === result.streams,
  );
}

// `node bench/scenario-many-streams.js floor`: the scenario against bench/many-streams-floor.js (bare
// node:http and the openai SDK, no database), with the memory preload; prints the result as JSON.
if (process.argv[2] === 'floor' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const startFloor = async (fakeUrl) => {
    const child = fork(join(BENCH_DIR, 'many-streams-floor.js'), [], {
      execArgv: ['--import', join(BENCH_DIR, 'memory-preload.js')],
      env: { ...env, OPENAI_BASE_URL: `${fakeUrl}/v1` },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const { port } = await new Promise((resolve) => child.once('message', resolve));
    return { pid: child.pid, child, baseUrl: `http://127.0.0.1:${port}`, output: [] };
  };
  const stopFloor = (floor) => floor.child.kill('SIGTERM');
  const log = (...args) => console.log(`[floor ${new Date().toISOString().slice(11, 19)}]`, ...args);
  const result = await measureManyStreams({ startApp: startFloor, stopApp: stopFloor, token: 'none', log });
  console.log(JSON.stringify({ ...result, idle: undefined, allOpen: undefined }));
  process.exit(0);
}
