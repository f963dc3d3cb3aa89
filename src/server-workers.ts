import cluster, { type Worker } from 'node:cluster';
import { type Logger, pino } from 'pino';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';

/** The pause before a worker that died is replaced, so that a worker crashing at once cannot spin. */
const REPLACE_AFTER_MS = 1_000;

/**
 * Each worker's young generation: V8's semi-spaces of 4 MB instead of 16 (its default on 64-bit), since the
 * workers multiply whatever one server holds. In two pairs of bench runs with two workers it took 58 and
 * 88 MiB off the peak RSS of 2,000 streams (601 → 543, 634 → 546) with the list, page and POST ratios
 * within the runs' noise. Not added when the operator sets it (node options or NODE_OPTIONS).
 */
const WORKER_YOUNG_GENERATION = '--max-semi-space-size=4';

/**
 * Tells a parent that started this server with an IPC channel (a process manager, the bench) that it
 * listens: `'ready'`, as pm2's `wait_ready` expects. With HTTP_WORKERS, the primary says it once all listen
 * (and again once a replaced worker listens).
 */
export function announceReady(): void {
  process.send?.('ready');
}

/**
 * The primary process of `HTTP_WORKERS` > 1: it serves nothing itself, runs that many server processes
 * sharing the listening port (node:cluster hands each new connection to the next worker), and keeps them
 * running.
 *
 * - The first worker starts alone: it runs pending migrations (and, outside production without
 *   JWT_SECRET, creates the key file) before the others start, so that they never race to do either.
 * - A worker that exits before it listens (bad database, port taken) stops them all, with its exit code.
 *   One that dies later is replaced.
 * - SIGTERM or SIGINT: every worker shuts down gracefully (streams ended, turns in flight finished);
 *   the primary exits 0 once all have, 1 if any failed.
 * - The login and chat-turn limiters' counts live here when there is no Redis
 *   ({@link RateLimiterClusterMaster}), so that failed logins and turns count across workers.
 */
export class WorkerSupervisor {
  private readonly log: Logger;
  private readonly live = new Set<Worker>();
  private readonly listening = new WeakSet<Worker>();
  private stopping = false;
  private exitCode = 0;

  constructor(
    private readonly count: number,
    logLevel: string,
  ) {
    this.log = pino({ level: logLevel }).child({ role: 'primary' });
  }

  start(): void {
    const chosen = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((option) =>
      option.includes('--max-semi-space-size'),
    );
    if (!chosen) cluster.setupPrimary({ execArgv: [...process.execArgv, WORKER_YOUNG_GENERATION] });
    new RateLimiterClusterMaster();
    process.once('SIGTERM', () => this.stop());
    process.once('SIGINT', () => this.stop());
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    this.fork().once('listening', () => {
      for (let i = 1; i < this.count; i++) this.fork();
    });
  }

  private fork(): Worker {
    const worker = cluster.fork();
    this.live.add(worker);
    worker.once('listening', () => {
      this.listening.add(worker);
      if (this.live.size === this.count && [...this.live].every((w) => this.listening.has(w))) {
        this.log.info({ workers: this.count }, 'all HTTP workers listening');
        announceReady();
      }
    });
    return worker;
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    this.live.delete(worker);
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    if (this.stopping) {
      if (code !== 0) this.exitCode = 1;
    } else if (!this.listening.has(worker)) {
      this.log.error({ worker: worker.process.pid }, `an HTTP worker failed to start (${how}): stopping`);
      this.exitCode = code || 1;
      this.stop();
    } else {
      this.log.error({ worker: worker.process.pid }, `an HTTP worker died (${how}): starting another`);
      setTimeout(() => {
        if (!this.stopping) this.fork();
      }, REPLACE_AFTER_MS);
    }
    if (this.stopping && this.live.size === 0) process.exit(this.exitCode);
  }

  private stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.live.size === 0) process.exit(this.exitCode);
    for (const worker of this.live) worker.process.kill('SIGTERM');
  }
}
