/* global performance -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Scenario 7, a realistic model: streamed turns from a fake that takes 300 ms to its first token, 20 ms a token.
import http from 'node:http';
import { DEFAULT_REPLY } from '../openai-fake.js';
import { CFG, POST_WARM_UP_S, log, range } from '../lib/config.js';
import { QUESTION } from '../lib/api.js';
import { mean, percentile, streamOne } from '../lib/load.js';
import { benchCpuMs, cpuMs, dbCpuBetween, dbServerCpuMs } from '../lib/proc-stats.js';
import { profiled } from '../lib/processes.js';

/** The realistic model's timing: the added latency of a turn is the app's time minus the model's. */
export const REALISTIC = { firstTokenMs: 300, tokenMs: 20, tokens: 40 };
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

export async function runRealistic(ctx, results) {
  results.scenarios.realistic = await profiled(ctx.app, 'realistic', () =>
    measureRealistic(ctx.app, ctx.fake, ctx.users.stream.token, ctx.sessions.realistic),
  );
}
