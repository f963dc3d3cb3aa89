/* global clearInterval, performance, setInterval -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Scenario 5: 2,000 concurrent SSE answers (BENCH_STREAMS) with a 50 ms-per-token fake, and the app's peak
// RSS sampled every 100 ms from /proc.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { CFG, log, range } from '../lib/config.js';
import { QUESTION } from '../lib/api.js';
import { percentile } from '../lib/load.js';
import { streamFailures, streamOne } from '../lib/stream.js';
import { cpuMs, processTree, rssKiB } from '../lib/proc-stats.js';
import { appOverrides, profiled } from '../lib/processes.js';

export async function runStream(ctx, results) {
  const { app, base, fake, users } = ctx;
  const streamSessions = ctx.sessions.stream;
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
    ...streamFailures(outcomes),
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
