/* global performance, process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Issue 28, items 3 and 5: the time to the first delta of a streamed answer, the app against the stream
// ceiling (bench/ceiling-stream.js) in the same run, on a zero-latency fake:
// - `first-delta`: one stream at a time (BENCH_ONLY=first-delta), target app p50 ≤ ceiling p50 + 5 ms;
// - `burst`: 1,000 new streamed turns started together, each in a session of its own (BENCH_ONLY=burst),
//   target app p99 ≤ 1.5 × ceiling p99, and every stream completes;
// and, for scenario 7 (the realistic model), the stream ceiling under the same load, so that the app's
// added latency and CPU per turn are read against it.
import http from 'node:http';
import { DEFAULT_REPLY } from '../openai-fake.js';
import { percentile } from '../lib/load.js';
import {
  completedStream,
  measureRealisticTurns,
  REALISTIC,
  streamOne,
  streamToCeiling,
} from '../lib/stream.js';
import { CFG, POST_WARM_UP_S, range, wants } from '../lib/config.js';
import { newSession } from '../lib/api.js';
import { mapLimit } from '../lib/load.js';
import { forkCeiling, profiled, stopChild } from '../lib/processes.js';
import { streamTools } from '../lib/stream.js';

const env = process.env;
const num = (value, fallback) => (value === undefined || value === '' ? fallback : Number(value));

export const FIRST_DELTA_TARGETS = { singleP50PlusMs: 5, burstP99Times: 1.5 };

/** Scenario settings from the environment (see bench/README.md); `durationS` is BENCH_DURATION. */
export function firstDeltaConfig(durationS) {
  return {
    turns: num(env.BENCH_FIRST_DELTA_TURNS, 50 * durationS), // per side, all rounds together
    rounds: num(env.BENCH_FIRST_DELTA_ROUNDS, 4),
    warmUpTurns: num(env.BENCH_FIRST_DELTA_WARM_UP, 200), // per side, untimed
    burstStreams: num(env.BENCH_BURST_STREAMS, 1000),
    burstRounds: num(env.BENCH_BURST_ROUNDS, 2),
  };
}

/**
 * Turns per session in the first-delta scenario at most: 80 messages, within the ceiling's context of
 * 100 and the app's character budget (about 330 characters a turn here), so both send every earlier turn
 * and their sessions, given the same number of turns, send the same contexts.
 */
const TURNS_PER_SESSION = 40;

const ZERO_LATENCY = { reply: DEFAULT_REPLY, streamTokens: 20, firstTokenDelayMs: 0, tokenDelayMs: 0 };

/**
 * The two sides: the app (turns into its sessions, created through the API by `newAppSessions(n)`) and
 * the stream ceiling (its sessions are numbers: `nextCeilingSession` hands out new ones).
 */
function sides(app, token, ceiling) {
  let nextCeilingSession = 1;
  return [
    {
      name: 'app',
      pid: app.pid,
      newSessions: (n, tools) => tools.newAppSessions(n),
      turn: (agent, session, content) => streamOne(agent, app.baseUrl, token, session, content),
    },
    {
      name: 'stream ceiling',
      pid: ceiling.pid,
      newSessions: async (n) => Array.from({ length: n }, () => nextCeilingSession++),
      turn: (agent, session, content) => streamToCeiling(agent, ceiling.url, session, content),
    },
  ];
}

/** Runs `fn` and returns its result with the CPU time (ms) the side's server and PostgreSQL spent meanwhile. */
async function withCpu(pid, tools, fn) {
  const { cpuMs, dbServerCpuMs, dbCpuBetween, benchCpuMs } = tools;
  const before = { server: cpuMs(pid), db: dbServerCpuMs(), bench: benchCpuMs(), at: performance.now() };
  const outcomes = await fn();
  return {
    outcomes,
    elapsedMs: performance.now() - before.at,
    serverMs: before.server === null ? null : cpuMs(pid) - before.server,
    dbMs: dbCpuBetween(before.db, dbServerCpuMs()),
    benchMs: benchCpuMs() - before.bench,
  };
}

/** `count` turns one after another, into `sessions` in turn. */
async function sequentialTurns(side, agent, sessions, count, tag, question) {
  const outcomes = [];
  for (let i = 0; i < count; i += 1)
    outcomes.push(await side.turn(agent, sessions[i % sessions.length], `${question}${tag} ${i}.`));
  return outcomes;
}

/**
 * A side's measured runs as one table row (the shape of run.js's `summary`): latencies are the time to
 * the first delta, CPU is per completed turn, `withFirstDelta` the streams that had one.
 */
function sideSummary(runs, extra = {}) {
  const outcomes = runs.flatMap((r) => r.outcomes);
  const ok = outcomes.filter(completedStream);
  // every stream that had a first delta, completed or not (one that failed while storing its answer had
  // one); those that had none (a 503 before the stream, say) count in `completed`, not here
  const firstDeltas = outcomes.filter((o) => typeof o.firstDeltaMs === 'number').map((o) => o.firstDeltaMs);
  const sum = (key) => (runs.some((r) => r[key] === null) ? null : runs.reduce((n, r) => n + r[key], 0));
  const perTurn = (ms) => (ms === null || ok.length === 0 ? null : ms / ok.length);
  const errorSamples = [
    ...new Set(
      outcomes
        .filter((o) => !completedStream(o))
        .map((o) => o.error ?? `HTTP ${o.status}${o.errorEvent ? ` event: error ${o.errorEvent}` : ''}`),
    ),
  ];
  return {
    rps: (ok.length * 1000) / runs.reduce((n, r) => n + r.elapsedMs, 0),
    total: outcomes.length,
    completed: ok.length,
    withFirstDelta: firstDeltas.length,
    p50: percentile(firstDeltas, 50),
    p99: percentile(firstDeltas, 99),
    latencyMean: firstDeltas.length ? firstDeltas.reduce((a, b) => a + b, 0) / firstDeltas.length : null,
    firstByteP50Ms: percentile(
      ok.map((o) => o.firstByteMs),
      50,
    ),
    wholeP50Ms: percentile(
      ok.map((o) => o.ms),
      50,
    ),
    wholeP99Ms: percentile(
      ok.map((o) => o.ms),
      99,
    ),
    serverCpuMsPerReq: perTurn(sum('serverMs')),
    dbCpuMsPerReq: perTurn(sum('dbMs')),
    benchCpuMsPerReq: perTurn(sum('benchMs')),
    errors: outcomes.filter((o) => o.error).length,
    non2xx: outcomes.filter((o) => !o.error && !completedStream(o)).length,
    errorSamples: errorSamples.slice(0, 5),
    ...extra,
  };
}

/** The context each side sent, from the fake's counters over its runs: mean messages a request. */
const meanMessages = (stats) =>
  stats.reduce((n, s) => n + s.totalMessages, 0) /
  Math.max(
    1,
    stats.reduce((n, s) => n + s.requests, 0),
  );

/**
 * Scenario `first-delta`: one stream at a time, the app against the stream ceiling. Each side posts
 * `turns` streamed turns one after another in `rounds` rounds (the side first alternating), after
 * `warmUpTurns` untimed ones, into sessions of its own in turn: as many as keep each within
 * TURNS_PER_SESSION, so that both sides' sessions grow alike and send the same contexts.
 */
export async function measureFirstDelta({ app, token, ceiling, fake, config }, tools) {
  const { log, question } = tools;
  const saved = { ...fake.options };
  Object.assign(fake.options, ZERO_LATENCY);
  const agent = new http.Agent({ keepAlive: true });
  const perRound = Math.max(1, Math.round(config.turns / config.rounds));
  const sessionCount = Math.ceil((config.warmUpTurns + perRound * config.rounds) / TURNS_PER_SESSION);
  const both = sides(app, token, ceiling);
  for (const side of both) {
    side.sessions = await side.newSessions(sessionCount, tools);
    side.runs = [];
    side.context = [];
    await sequentialTurns(side, agent, side.sessions, config.warmUpTurns, 'first-delta warm-up', question);
  }
  log(
    `first delta, one stream at a time: ${perRound} turns × ${config.rounds} rounds a side, ${sessionCount} sessions each …`,
  );
  for (let round = 0; round < config.rounds; round += 1) {
    const order = round % 2 === 0 ? both : [...both].reverse();
    for (const side of order) {
      fake.resetStats();
      side.runs.push(
        await withCpu(side.pid, tools, () =>
          sequentialTurns(side, agent, side.sessions, perRound, `first-delta ${round}`, question),
        ),
      );
      side.context.push(fake.resetStats());
    }
  }
  agent.destroy();
  Object.assign(fake.options, saved);
  const [appSide, ceilingSide] = both.map((side) =>
    sideSummary(side.runs, { contextMessages: meanMessages(side.context) }),
  );
  for (const [name, s] of [
    ['app', appSide],
    ['stream ceiling', ceilingSide],
  ])
    log(
      `  ${name}: first delta p50 ${s.p50?.toFixed(1)} ms, p99 ${s.p99?.toFixed(1)} ms; ${s.completed}/${s.total} completed; ` +
        `CPU ${s.serverCpuMsPerReq?.toFixed(3)} ms a turn`,
    );
  return { app: appSide, ceiling: ceilingSide, turnsPerRound: perRound, rounds: config.rounds, sessionCount };
}

/**
 * Scenario `burst`: `burstStreams` new streamed turns started together, each in a new session of its own
 * (the app's created through the API beforehand), the app's burst and the ceiling's one after the other,
 * in `burstRounds` rounds (the side first alternating); `warmUpTurns` untimed turns a side first. One
 * connection a stream (no keep-alive, no socket limit), as that many clients would open.
 */
export async function measureBurst({ app, token, ceiling, fake, config }, tools) {
  const { log, question, sleep } = tools;
  const saved = { ...fake.options };
  Object.assign(fake.options, ZERO_LATENCY);
  const both = sides(app, token, ceiling);
  const warmAgent = new http.Agent({ keepAlive: true });
  for (const side of both) {
    const warmSessions = await side.newSessions(Math.ceil(config.warmUpTurns / TURNS_PER_SESSION), tools);
    await sequentialTurns(side, warmAgent, warmSessions, config.warmUpTurns, 'burst warm-up', question);
    side.rounds = [];
    for (let round = 0; round < config.burstRounds; round += 1)
      side.rounds.push({ sessions: await side.newSessions(config.burstStreams, tools) });
  }
  warmAgent.destroy();
  log(`burst: ${config.burstStreams} new streamed turns at once, ${config.burstRounds} rounds a side …`);
  for (let round = 0; round < config.burstRounds; round += 1) {
    const order = round % 2 === 0 ? both : [...both].reverse();
    for (const side of order) {
      const { sessions } = side.rounds[round];
      const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
      const run = await withCpu(side.pid, tools, () =>
        Promise.all(
          sessions.map((session, i) => side.turn(agent, session, `${question}burst ${round}.${i}.`)),
        ),
      );
      agent.destroy();
      Object.assign(side.rounds[round], run, { summary: sideSummary([run]) });
      const s = side.rounds[round].summary;
      log(
        `  ${side.name}, round ${round + 1}: ${s.completed}/${s.total} completed in ${(run.elapsedMs / 1000).toFixed(1)} s; ` +
          `first delta p50 ${s.p50?.toFixed(0)} ms, p99 ${s.p99?.toFixed(0)} ms`,
      );
      await sleep(1000); // the closed connections' last packets, before the other side's burst
    }
  }
  Object.assign(fake.options, saved);
  const [appSide, ceilingSide] = both.map((side) =>
    sideSummary(side.rounds, {
      rounds: side.rounds.map(({ summary: s }) => ({ completed: s.completed, p50: s.p50, p99: s.p99 })),
    }),
  );
  return { app: appSide, ceiling: ceilingSide, streams: config.burstStreams, rounds: config.burstRounds };
}

/** Scenario 7's load (`clients` clients, the realistic model) on the stream ceiling, in sessions of its own. */
export function measureRealisticCeiling({ ceiling, fake, clients, durationS, warmUpS }, tools) {
  const target = {
    name: 'stream ceiling',
    pid: ceiling.pid,
    sessions: Array.from({ length: clients }, (_, i) => 1_000_000 + i),
    turn: (agent, session, content) => streamToCeiling(agent, ceiling.url, session, content),
  };
  return measureRealisticTurns(target, fake, { durationS, warmUpS }, tools);
}

/** The lines printed after the table, and the targets as [name, value, limit, pass]. */
export function firstDeltaReport({ firstDelta, burst, realistic, realisticCeiling }) {
  const fmt = (x, d = 1) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
  const lines = [];
  const targets = [];
  if (firstDelta) {
    const { app: a, ceiling: c } = firstDelta;
    lines.push(
      `11. first delta, one stream at a time (${firstDelta.rounds} rounds × ${firstDelta.turnsPerRound} turns a side): ` +
        `app p50 ${fmt(a.p50)} ms, p99 ${fmt(a.p99)} (first byte p50 ${fmt(a.firstByteP50Ms)}, whole answer p50 ${fmt(a.wholeP50Ms)}), ` +
        `CPU ${fmt(a.serverCpuMsPerReq, 3)} ms a turn (PostgreSQL ${fmt(a.dbCpuMsPerReq, 3)}); stream ceiling p50 ${fmt(c.p50)} ms, ` +
        `p99 ${fmt(c.p99)} (first byte ${fmt(c.firstByteP50Ms)}, whole ${fmt(c.wholeP50Ms)}), CPU ${fmt(c.serverCpuMsPerReq, 3)} ` +
        `(PostgreSQL ${fmt(c.dbCpuMsPerReq, 3)}); mean context ${fmt(a.contextMessages)} / ${fmt(c.contextMessages)} messages`,
    );
    const limit = Number((c.p50 + FIRST_DELTA_TARGETS.singleP50PlusMs).toFixed(1));
    targets.push(
      [
        `first delta, one stream: app p50 ≤ ceiling p50 + ${FIRST_DELTA_TARGETS.singleP50PlusMs} ms`,
        a.p50,
        limit,
        a.p50 <= limit,
      ],
      ['first delta, one stream: every turn completes', a.completed, a.total, a.completed === a.total],
    );
  }
  if (burst) {
    const { app: a, ceiling: c } = burst;
    const perRound = (s) => s.rounds.map((r) => `${fmt(r.p99, 0)}`).join('/');
    lines.push(
      `12. burst of ${burst.streams} new streamed turns (${burst.rounds} rounds a side): first delta app p50 ${fmt(a.p50, 0)} ms, ` +
        `p99 ${fmt(a.p99, 0)} (rounds ${perRound(a)}), completed ${a.completed}/${a.total}, CPU ${fmt(a.serverCpuMsPerReq, 3)} ms a turn; ` +
        `stream ceiling p50 ${fmt(c.p50, 0)}, p99 ${fmt(c.p99, 0)} (rounds ${perRound(c)}), completed ${c.completed}/${c.total}, ` +
        `CPU ${fmt(c.serverCpuMsPerReq, 3)}; app p99 ×${fmt(a.p99 / c.p99, 2)} of the ceiling's`,
    );
    if (a.errorSamples.length) lines.push(`    app errors: ${a.errorSamples.join('; ')}`);
    if (c.errorSamples.length) lines.push(`    ceiling errors: ${c.errorSamples.join('; ')}`);
    const ratio = a.p99 / c.p99;
    targets.push(
      [
        `burst: app p99 ≤ ${FIRST_DELTA_TARGETS.burstP99Times} × ceiling p99`,
        ratio,
        FIRST_DELTA_TARGETS.burstP99Times,
        ratio <= FIRST_DELTA_TARGETS.burstP99Times,
      ],
      [`burst: all ${a.total} app streams complete`, a.completed, a.total, a.completed === a.total],
    );
  }
  if (realistic && realisticCeiling) {
    const [a, c] = [realistic, realisticCeiling];
    lines.push(
      `7. realistic model against the stream ceiling under the same load (${REALISTIC.firstTokenMs} ms + ${REALISTIC.tokens} × ${REALISTIC.tokenMs} ms, ` +
        `${a.clients} clients): the app adds to the ceiling's first delta p50 ${fmt(a.addedFirstDeltaP50Ms - c.addedFirstDeltaP50Ms)} ms, ` +
        `p99 ${fmt(a.addedFirstDeltaP99Ms - c.addedFirstDeltaP99Ms)}, mean ${fmt(a.addedFirstDeltaMeanMs - c.addedFirstDeltaMeanMs)}; ` +
        `whole answer p50 ${fmt(a.p50 - c.p50)} ms, p99 ${fmt(a.p99 - c.p99)}, mean ${fmt(a.latencyMean - c.latencyMean)}; ` +
        `CPU a turn app ${fmt(a.serverCpuMsPerReq, 2)} ms (PostgreSQL ${fmt(a.dbCpuMsPerReq, 2)}), ceiling ${fmt(c.serverCpuMsPerReq, 2)} ` +
        `(PostgreSQL ${fmt(c.dbCpuMsPerReq, 2)}); the ceiling's own over the model: first delta p50 ${fmt(c.addedFirstDeltaP50Ms)} ms, ` +
        `whole answer p50 ${fmt(c.p50)} ms; the stream open (first byte, the turn stored) p50 app ` +
        `${fmt(a.firstByteP50Ms)} ms, ceiling ${fmt(c.firstByteP50Ms)}`,
    );
    const errors = c.errors + c.non2xx;
    targets.push(['no errors / non-2xx in the stream ceiling under scenario 7', errors, 0, errors === 0]);
  }
  return { lines, targets };
}

/**
 * The stream ceiling's scenarios (BENCH_ONLY `first-delta`, `burst`, and `realistic` for scenario 7's
 * load on it), after scenario 7 on the app; the ceiling runs in its own process for their duration.
 */
export async function runStreamCeiling(ctx, results) {
  const { app, fake, users } = ctx;
  const ceiling = await forkCeiling('ceiling-stream.js', ctx.ceilingEnv);
  try {
    if (wants('realistic'))
      results.scenarios.realisticCeiling = await measureRealisticCeiling(
        {
          ceiling,
          fake,
          clients: ctx.sessions.realistic.length,
          durationS: CFG.duration,
          warmUpS: POST_WARM_UP_S,
        },
        streamTools,
      );
    const run = { app, token: users.stream.token, ceiling, fake, config: firstDeltaConfig(CFG.duration) };
    const tools = {
      ...streamTools,
      newAppSessions: (n) => mapLimit(range(n), 8, () => newSession(app.baseUrl, users.stream.token)),
    };
    if (wants('first-delta'))
      results.firstDelta = await profiled(app, 'first-delta', () => measureFirstDelta(run, tools));
    if (wants('burst')) results.burst = await profiled(app, 'burst', () => measureBurst(run, tools));
  } finally {
    await stopChild(ceiling.child);
  }
}
