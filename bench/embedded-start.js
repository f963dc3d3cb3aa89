/* global fetch, performance, process, setTimeout -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Scenario `embedded-start`: what the zero-setup default costs. Starts the built server as `npm start`
// does after the build (`node dist/main.js`, no DATABASE_URL) on a fresh DATA_DIR, stops it, and starts
// it again on the same directory; each time, the time from spawn to the first 200 from /health, and the
// process's RSS (VmRSS) a second after that (peak: VmHWM).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const EMBEDDED_START_TARGETS = {
  fresh: { healthMs: 6000, rssMiB: 400 },
  restart: { healthMs: 4000, rssMiB: 350 },
};
const SETTLE_MS = 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function statusMiB(pid, field) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)[1]) / 1024);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function startOnce(root, dataDir) {
  const port = await freePort();
  // as a first `npm start` runs it: no DATABASE_URL (whichever database the rest of the bench uses), no
  // NODE_ENV (so the development JWT secret is generated into DATA_DIR)
  const environment = {
    PATH: process.env.PATH ?? '',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'dist/main.js')], {
    cwd: root,
    env: environment,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}: ${stderr}`);
      if (performance.now() - started > 120_000) throw new Error(`no /health within 120 s: ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await sleep(20);
    }
    const healthMs = Math.round(performance.now() - started);
    await sleep(SETTLE_MS);
    return { healthMs, rssMiB: statusMiB(child.pid, 'VmRSS'), peakRssMiB: statusMiB(child.pid, 'VmHWM') };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}

/** Runs the scenario: `{ fresh, restart }`, each `{ healthMs, rssMiB, peakRssMiB }`. */
export async function measureEmbeddedStart(root, log) {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatbot-bench-start-'));
  try {
    const fresh = await startOnce(root, dataDir);
    log(`embedded start, fresh DATA_DIR: /health after ${fresh.healthMs} ms, RSS ${fresh.rssMiB} MiB`);
    const restart = await startOnce(root, dataDir);
    log(`embedded start, same DATA_DIR: /health after ${restart.healthMs} ms, RSS ${restart.rssMiB} MiB`);
    return { fresh, restart, settleMs: SETTLE_MS };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The scenario's targets as `[name, value, limit, pass]`. */
export function embeddedStartTargets(measured) {
  if (!measured) return [];
  return ['fresh', 'restart'].flatMap((kind) => {
    const { healthMs, rssMiB } = EMBEDDED_START_TARGETS[kind];
    const label = kind === 'fresh' ? 'embedded start, fresh DATA_DIR' : 'embedded restart, same DATA_DIR';
    const m = measured[kind];
    return [
      [`${label}: /health within ${healthMs} ms`, m.healthMs, healthMs, m.healthMs <= healthMs],
      [`${label}: RSS under ${rssMiB} MiB`, m.rssMiB, rssMiB, m.rssMiB < rssMiB],
    ];
  });
}
