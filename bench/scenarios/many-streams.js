/* global clearInterval, clearTimeout, console, performance, process, setInterval, setTimeout -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Scenario `streams9k` (issue 28, item 4): BENCH_MANY_STREAMS (9,000) streamed answers open at once in one
// app process, from a fake at BENCH_MANY_STREAMS_TOKEN_MS (400) ms a token, and what each open stream adds
// to the app's RSS over the same process idle. Two sockets a stream in the app (client and provider);
// the fake runs in a child process of its own (bench/openai-fake-process.js) so that the bench process
// holds only the clients' sockets. Runs on an app of its own (started with that fake's URL), so that
// "idle" is that process before the streams; PostgreSQL only (the embedded database admits one process).
// `node bench/scenarios/many-streams.js floor` runs the same against bench/many-streams-floor.js.
import { fork } from 'node:child_process';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QUESTION, newSession } from '../lib/api.js';
import { BENCH_DIR, MODE, env, log, num, sleep } from '../lib/config.js';
import { mapLimit } from '../lib/load.js';
import { cpuMs, rssKiB } from '../lib/proc-stats.js';
import { startApp, stopChild } from '../lib/processes.js';
import { streamFailures, streamTo } from '../lib/stream.js';

export const MANY_STREAMS = {
  count: num(env.BENCH_MANY_STREAMS, 9000),
  tokens: num(env.BENCH_MANY_STREAMS_TOKENS, 20),
  tokenMs: num(env.BENCH_MANY_STREAMS_TOKEN_MS, 400),
  /** Streams being opened at once (sent, no event yet): the rest wait their turn. */
  opening: num(env.BENCH_MANY_STREAMS_OPENING, 200),
  /** Heap snapshots of the app at idle and when every stream is open (needs the memory preload). */
  snapshotDir: env.BENCH_MANY_STREAMS_SNAPSHOT_DIR ?? null,
};
/** RSS growth per open stream over the idle app, KiB. */
export const MANY_STREAMS_TARGET_KIB = 60;

/** Untimed streamed turns before the idle reading: the stream path compiled and its modules loaded. */
const WARM_UP = 200;
const WORDS = 'the model answers a question in plain words so that each piece of the stream is short '.split(
  ' ',
);

/** Open file descriptors of a process (its sockets among them). */
function fdCount(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
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

/** Forks `file` (in bench/) and resolves once it reports its port over IPC. */
function forkWithPort(file, childEnv, execArgv = []) {
  const child = fork(join(BENCH_DIR, file), [], {
    execArgv,
    env: { ...env, ...childEnv },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, pid: child.pid, url: `http://127.0.0.1:${m.port}` }));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
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

/** The scenario in a bench run (BENCH_ONLY=streams9k): on an app of its own, the stream user's token. */
export async function runManyStreams(ctx, results) {
  if (MODE !== 'postgres') {
    log('streams9k: PostgreSQL only (a second app cannot open the embedded database)');
    return;
  }
  results.scenarios.manyStreams = await measureManyStreams({
    startApp: (fakeUrl, extraEnv) => startApp(ctx.databaseEnv, fakeUrl, extraEnv),
    stopApp: (other) => stopChild(other.child),
    token: ctx.users.stream.token,
  });
}

/**
 * Runs the scenario. `startApp(fakeUrl, extraEnv)` starts an app of the bench's (resolving to {pid, child,
 * baseUrl}), `stopApp(app)` stops it; `token` is a user's access token valid for that app.
 *
 * The fake holds every answer's first token until all the streams are open (on a shared 2-core VM the
 * tokens of the streams opened first would otherwise slow the opening of the rest so much that the first
 * ones end before the last open), then sends each answer's tokens `tokenMs` apart.
 */
export async function measureManyStreams({ startApp, stopApp, token, config = MANY_STREAMS }) {
  const { count, tokens, tokenMs, opening } = config;
  const reply = Array.from({ length: tokens }, (_, i) => WORDS[i % WORDS.length]).join(' ');
  const fake = await forkWithPort('openai-fake-process.js', {
    FAKE_OPTIONS: JSON.stringify({ reply, streamTokens: tokens, tokenDelayMs: 0 }),
  });
  const app = await startApp(fake.url, {
    // A turn waits for a pooled connection up to DB_CONNECT_TIMEOUT_MS (5 s by default): with thousands of
    // streams being opened on 2 cores, some wait longer than that (503), as in the stream scenario.
    DB_CONNECT_TIMEOUT_MS: '60000',
    // The held first tokens: the provider's silence before the first chunk is bounded by LLM_TIMEOUT_MS.
    LLM_TIMEOUT_MS: '600000',
  });
  // Only with bench/memory-preload.js in BENCH_NODE_ARGS: without it the first question goes unanswered.
  let preloaded = true;
  const probe = async (gc) => {
    const reply = preloaded ? await ask(app.child, { cmd: 'memory', gc }, 60_000) : null;
    preloaded = reply !== null;
    return memoryKiB(reply);
  };
  const snapshot = (name) =>
    config.snapshotDir &&
    ask(
      app.child,
      { cmd: 'heap-snapshot', file: join(config.snapshotDir, `many-streams-${name}.heapsnapshot`) },
      600_000,
    );
  try {
    const base = app.baseUrl;
    const url = (sessionId) => `${base}/api/v1/chat-sessions/${sessionId}/messages`;
    const headers = { authorization: `Bearer ${token}` };
    // Long enough for the first streams opened to wait for the last (316 s at 9,000 on a loaded VM).
    const streamOptions = (onFirstByte) => ({ onFirstByte, timeoutMs: 900_000 });
    // One session a stream, as 9,000 users would have; made before the idle reading.
    const sessions = await mapLimit(Array.from({ length: count }), 16, () => newSession(base, token));
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    // Warm-up (untimed, zero-latency fake): the stream path compiled and its modules loaded before "idle".
    const warmUp = await mapLimit(Array.from({ length: WARM_UP }), 50, async (_, i) =>
      streamTo(agent, url(await newSession(base, token)), headers, `${QUESTION}warm-up ${i}.`),
    );
    if (!warmUp.every((o) => o.completed === 1)) throw new Error('the warm-up streams did not all complete');
    await ask(fake.child, { cmd: 'options', options: { tokenDelayMs: tokenMs, holdFirstToken: true } });
    await sleep(3000);
    preloaded = (await ask(app.child, { cmd: 'memory' }, 5_000)) !== null;
    const idle = { rss: rssKiB([app.pid]), fds: fdCount(app.pid), memory: await probe(false) };
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
      const rss = rssKiB([app.pid]);
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
        const outcome = await streamTo(
          agent,
          url(sessionId),
          headers,
          `${QUESTION}${i}.`,
          streamOptions(() => {
            open += 1;
            freeSlot();
            onSettled();
          }),
        );
        if (outcome.firstByteMs !== null && outcome.firstByteMs !== undefined) open -= 1;
        else {
          freeSlot();
          onSettled();
        }
        return outcome;
      }),
    );
    await everyOneSettled;
    // A stream opens before its provider call is sent: wait until the fake holds them all (or 60 s).
    const providerCalls = WARM_UP + count;
    for (let waited = 0; waited < 60_000; waited += 200) {
      const { stats } = await ask(fake.child, { cmd: 'stats' });
      if (stats.streamed >= providerCalls) break;
      await sleep(200);
    }
    // Every stream is open (or failed), each answer waiting for its first token: the app's memory now, and
    // after a full GC (live objects only).
    allOpen = {
      s: (performance.now() - started) / 1000,
      open,
      rss: rssKiB([app.pid]),
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
    const completed = outcomes.filter((o) => o.status === 200 && o.completed === 1).length;
    const result = {
      streams: count,
      tokens,
      tokenMs,
      completed,
      failedSample: outcomes.find((o) => o.errorEvent)?.errorEvent ?? null,
      ...streamFailures(outcomes),
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

// `node bench/scenarios/many-streams.js floor`: the scenario against bench/many-streams-floor.js (bare
// node:http and the openai SDK, no database), with the memory preload; prints the result as JSON.
if (process.argv[2] === 'floor' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const startFloor = async (fakeUrl) => {
    const floor = await forkWithPort('many-streams-floor.js', { OPENAI_BASE_URL: `${fakeUrl}/v1` }, [
      '--import',
      join(BENCH_DIR, 'memory-preload.js'),
    ]);
    return { ...floor, baseUrl: floor.url, output: [] };
  };
  const stopFloor = (floor) => floor.child.kill('SIGTERM');
  const result = await measureManyStreams({ startApp: startFloor, stopApp: stopFloor, token: 'none' });
  console.log(JSON.stringify({ ...result, idle: undefined, allOpen: undefined }));
  process.exit(0);
}
