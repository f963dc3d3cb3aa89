/* global console -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Load generation (autocannon runs) with the CPU each run cost, and the
// statistics the scenarios and the report share.
import autocannon from 'autocannon';
import { CFG, log } from './config.js';
import { benchCpuMs, cpuMs, dbCpuBetween, dbServerCpuMs } from './proc-stats.js';

export async function mapLimit(items, limit, fn) {
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

// ---------------------------------------------------------------------------------------------- measuring

export function cannon(opts) {
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
export const answeredCleanly = (run) => run.errors + run.non2xx === 0;

/** One autocannon run; `pid` is the server process whose CPU time per answered request is reported. */
export async function measure(name, opts, pid) {
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
export async function measureAgainstDbCeiling(name, opts, pid, dbCeiling) {
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
export function postsInTurn(origin, paths, headers, body) {
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

// ---------------------------------------------------------------------------------------------- statistics

export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Several runs of one scenario as one row: counts summed, rates and latencies averaged. */
export function meanOfRuns(runs) {
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

export function mean(...values) {
  const present = values.filter((v) => typeof v === 'number');
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
}
