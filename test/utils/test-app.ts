import { ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent.js';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { typeOrmOptions } from '../../src/database/typeorm-options.js';

export interface TestApp {
  /** supertest bound to the running server */
  http: TestAgent;
  baseUrl: string;
  /** The server process's pid. */
  pid: number;
  /** Everything the server process printed so far (JSON log lines). */
  output(): string;
  /** Stops the server with SIGTERM (a graceful shutdown) and returns its exit code. */
  stop(): Promise<number | null>;
  /** Stops the server and drops its database. */
  close(): Promise<void>;
  /** The server process's environment, for a restart on the same database. */
  env: Record<string, string>;
}

/** Whether the suites run against the PostgreSQL server at DATABASE_URL rather than embedded PGlite. */
export const usingPostgresServer = Boolean(process.env.DATABASE_URL);

/** Whether a process (a server's, say) is still running. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the built server (`dist/main.js`, made by `npm test`'s build step) as a child process on a
 * database of its own: a fresh database on the PostgreSQL server at DATABASE_URL (dropped on close),
 * or a fresh embedded PGlite data dir copied from a migrated template (removed on close).
 * The app runs exactly as in production, under Node's own module loader rather than Jest's.
 * `databasePort`: the app reaches its PostgreSQL database through this port of 127.0.0.1 (a
 * FaultProxy, fault-proxy.ts, in front of the server) instead of the server's own.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { databasePort?: number } = {},
): Promise<TestApp> {
  const database = usingPostgresServer
    ? await createServerDatabase(options.databasePort)
    : await createEmbeddedDataDir();
  const serverEnv = { ...database.env, ...env };
  let server: RunningServer;
  try {
    server = await startServer(serverEnv);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    http: request(server.baseUrl),
    baseUrl: server.baseUrl,
    pid: server.process.pid as number,
    env: serverEnv,
    output: () => server.output.join(''),
    stop: () => server.stop(),
    async close() {
      await server.stop();
      await database.drop();
    },
  };
}

export interface RunningServer {
  baseUrl: string;
  process: ChildProcess;
  output: string[];
  stop(): Promise<number | null>;
}

/** Runs `node dist/main.js` with a test environment on a free port and waits until /health answers. */
export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/main.js'], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      JWT_SECRET: randomBytes(32).toString('hex'),
      HOST: '127.0.0.1',
      PORT: String(port),
      // Suites post many turns a minute as one user: the per-minute limit (default 30) is tested on its
      // own (chat-rate-limit.e2e-spec.ts, which sets it, or unsets it with '').
      CHAT_RATE_LIMIT: '100000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output.join('')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become healthy:\n${output.join('')}`);
    }
    const healthy = await fetch(`${baseUrl}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    process: child,
    output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}

interface TestDatabase {
  env: Record<string, string>;
  drop(): Promise<void>;
}

async function createServerDatabase(appPort?: number): Promise<TestDatabase> {
  const serverUrl = new URL(process.env.DATABASE_URL as string);
  const name = `chatbot_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  if (appPort !== undefined) {
    url.hostname = '127.0.0.1';
    url.port = String(appPort);
  }
  return {
    env: { DATABASE_URL: url.toString() },
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl.toString() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

async function createEmbeddedDataDir(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatbot-test-'));
  cpSync(await migratedTemplate(), dataDir, { recursive: true });
  return {
    env: { DATA_DIR: dataDir },
    drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
  };
}

/**
 * A migrated embedded data dir, made once per set of migrations and reused: opening a copy takes well
 * under a second where creating a PGlite cluster takes about four.
 */
async function migratedTemplate(): Promise<string> {
  const migrationsDir = resolve('src/database/migrations');
  const hash = createHash('sha256');
  for (const file of readdirSync(migrationsDir).sort())
    hash.update(file).update(readFileSync(join(migrationsDir, file)));
  const template = join(tmpdir(), `chatbot-test-template-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(template)) return template;
  const building = mkdtempSync(join(tmpdir(), 'chatbot-test-template-building-'));
  const embedded = await EmbeddedPostgres.start(building);
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: building });
  const dataSource = new DataSource(typeOrmOptions(config, embedded));
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  await embedded.stop();
  try {
    renameSync(building, template);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another worker made it first
  }
  return template;
}
