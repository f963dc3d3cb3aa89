/* global performance -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Streamed turns as a client sees them, shared by the bench's streaming scenarios (scenarios/stream.js:
// 2,000 concurrent streams; scenarios/realistic.js: the realistic model; scenarios/first-delta.js: first
// delta and burst):
// one streamed POST timed to its first byte, first `delta` event and end, and the realistic model's run.
import http from 'node:http';
import { DEFAULT_REPLY } from '../openai-fake.js';
import { QUESTION } from './api.js';
import { log, sleep } from './config.js';
import { mean, percentile } from './load.js';
import { benchCpuMs, cpuMs, dbCpuBetween, dbServerCpuMs } from './proc-stats.js';

/** How streamed turns failed: `error` events, transport errors, non-200 answers, and a few distinct samples. */
export function streamFailures(outcomes) {
  return {
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
  };
}

/** What measureRealisticTurns and scenarios/first-delta.js take as `tools`. */
export const streamTools = {
  log,
  sleep,
  mean,
  cpuMs,
  dbServerCpuMs,
  dbCpuBetween,
  benchCpuMs,
  question: QUESTION,
};

/**
 * POSTs `{content}` to `url` and reads the SSE answer: its status, how many `message.completed`, `error`
 * and `delta` events it held, and the time (ms, from the request's start) to its first byte, its first
 * `delta` event and its end. Resolves, never rejects: a transport failure is `{error, ms}`. `onFirstByte`
 * runs at the first byte (the stream is open); `timeoutMs` bounds the request's silences.
 */
export function streamTo(agent, url, headers, content, { onFirstByte, timeoutMs = 180_000 } = {}) {
  return new Promise((done) => {
    const started = performance.now();
    let firstByte = null;
    let firstDelta = null;
    let body = '';
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
      },
      (response) => {
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          if (firstByte === null) {
            firstByte = performance.now() - started;
            onFirstByte?.();
          }
          body += chunk;
          if (firstDelta === null && body.includes('event: delta')) firstDelta = performance.now() - started;
        });
        response.on('end', () =>
          done({
            status: response.statusCode,
            completed: body.split('event: message.completed').length - 1,
            failed: body.split('event: error').length - 1,
            // the first error event's data, for the report's samples
            errorEvent: /event: error\ndata: (.*)/.exec(body)?.[1]?.slice(0, 200),
            deltas: body.split('event: delta').length - 1,
            firstByteMs: firstByte,
            firstDeltaMs: firstDelta,
            ms: performance.now() - started,
          }),
        );
        response.on('error', (error) => done({ error: error.message, ms: performance.now() - started }));
      },
    );
    request.setTimeout(timeoutMs, () => request.destroy(new Error('timeout')));
    request.on('error', (error) => done({ error: error.message, ms: performance.now() - started }));
    request.end(JSON.stringify({ content }));
  });
}

/** A streamed turn of the app: a question posted into one of its sessions with `Accept: text/event-stream`. */
export const streamOne = (agent, base, token, sessionId, content) =>
  streamTo(
    agent,
    `${base}/api/v1/chat-sessions/${sessionId}/messages`,
    { authorization: `Bearer ${token}` },
    content,
  );

/** A streamed turn of the stream ceiling (bench/ceiling-stream.js) into its session number `session`. */
export const streamToCeiling = (agent, base, session, content) =>
  streamTo(agent, `${base}/stream/${session}`, {}, content);

/** An outcome (of {@link streamTo}) that is a 200 ending in exactly one `message.completed`. */
export const completedStream = (o) => o.status === 200 && o.completed === 1;

/** The realistic model's timing: the added latency of a turn is the server's time minus the model's. */
export const REALISTIC = { firstTokenMs: 300, tokenMs: 20, tokens: 40 };
const REPLY_WORDS = DEFAULT_REPLY.split(' ');
/** An answer of REALISTIC.tokens words, streamed a word a token. */
const REALISTIC_REPLY = Array.from(
  { length: REALISTIC.tokens },
  (_, i) => REPLY_WORDS[i % REPLY_WORDS.length],
).join(' ');

/**
 * Scenario 7 for one server: each of `target.sessions` is a client posting streamed turns one after
 * another (`target.turn(agent, session, content)`: a {@link streamTo} outcome), untimed for `warmUpS`
 * seconds, then measured for `durationS`, to a fake with a real model's pace. The server's CPU per turn
 * (`target.pid`), and its latency over the model's own (first delta: 300 ms; whole answer: 300 ms +
 * 40 × 20 ms), are what decide whether an optimisation of the chat path is worth its code. `tools` are
 * run.js's: log, cpuMs, dbServerCpuMs, dbCpuBetween, benchCpuMs, mean, question (the questions' stem).
 */
export async function measureRealisticTurns(target, fake, { durationS, warmUpS }, tools) {
  const { log, cpuMs, dbServerCpuMs, dbCpuBetween, benchCpuMs, mean, question } = tools;
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
      target.sessions.map(async (session, client) => {
        for (let i = 0; performance.now() < until; i += 1)
          outcomes.push(await target.turn(agent, session, `${question}${tag} ${client}.${i}.`));
      }),
    );
    return outcomes;
  };
  log(
    `realistic model, ${target.name}: ${target.sessions.length} clients, ${REALISTIC.firstTokenMs} ms + ${REALISTIC.tokens} × ${REALISTIC.tokenMs} ms a turn …`,
  );
  await clients(warmUpS, 'realistic warm-up');
  fake.resetStats();
  const [cpuBefore, dbBefore, benchBefore, started] = [
    cpuMs(target.pid),
    dbServerCpuMs(),
    benchCpuMs(),
    performance.now(),
  ];
  const outcomes = await clients(durationS, 'realistic');
  const elapsedS = (performance.now() - started) / 1000;
  const [cpuAfter, dbAfter, benchAfter] = [cpuMs(target.pid), dbServerCpuMs(), benchCpuMs()];
  agent.destroy();
  Object.assign(fake.options, saved);
  const ok = outcomes.filter(completedStream);
  const perTurn = (ms) => (ms === null ? null : ms / ok.length);
  const modelMs = REALISTIC.firstTokenMs + REALISTIC.tokens * REALISTIC.tokenMs;
  const firstDeltas = ok.map((o) => o.firstDeltaMs - REALISTIC.firstTokenMs);
  const totals = ok.map((o) => o.ms - modelMs);
  return {
    clients: target.sessions.length,
    rps: ok.length / elapsedS,
    total: outcomes.length,
    p50: percentile(totals, 50),
    p99: percentile(totals, 99),
    latencyMean: mean(...totals),
    addedFirstDeltaP50Ms: percentile(firstDeltas, 50),
    addedFirstDeltaP99Ms: percentile(firstDeltas, 99),
    addedFirstDeltaMeanMs: mean(...firstDeltas),
    // the part before the provider's answer: the stream opens (first byte) once the turn is stored
    firstByteP50Ms: percentile(
      ok.map((o) => o.firstByteMs),
      50,
    ),
    serverCpuMsPerReq: cpuBefore === null ? null : perTurn(cpuAfter - cpuBefore),
    dbCpuMsPerReq: perTurn(dbCpuBetween(dbBefore, dbAfter)),
    benchCpuMsPerReq: perTurn(benchAfter - benchBefore),
    errors: outcomes.filter((o) => o.error).length,
    // an answer that is not a 200 ending in message.completed
    non2xx: outcomes.filter((o) => !o.error && !completedStream(o)).length,
    context: fake.resetStats(),
  };
}
