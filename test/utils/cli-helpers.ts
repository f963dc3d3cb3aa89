import { expect } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { randomSecret } from './auth-helpers.js';
import { RunningServer, startServer, startTestApp, TestApp, usingPostgresServer } from './test-app.js';

export { usingPostgresServer };

/** Generous per-test timeout: with the embedded database every CLI run opens PGlite (a few seconds). */
export const CLI_TEST_TIMEOUT = 240_000;

export interface CliResult {
  /** Exit code (null when killed by a signal). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Written to the CLI's standard input, which is then closed (it is closed at once without this). */
  stdin?: string;
  /** Keeps standard input open (a command reading it waits) until the run ends; ignores `stdin`. */
  holdStdin?: boolean;
  /** Killed with SIGKILL after this long (the result then has `signal`). */
  timeoutMs?: number;
  /** Killed with SIGKILL when this aborts. */
  kill?: AbortSignal;
}

/** Runs `node dist/cli.js <args>` with exactly PATH, NODE_ENV=test and `env`; never rejects on a failure exit. */
export function runCli(
  env: Record<string, string>,
  args: string[],
  { stdin, holdStdin = false, timeoutMs = 90_000, kill }: CliRunOptions = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/cli.js', ...args], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined); // the CLI may exit before reading its input
    if (!holdStdin) child.stdin.end(stdin);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    kill?.addEventListener('abort', () => child.kill('SIGKILL'), { once: true });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A readable summary of a run for failure messages. */
export function describeRun(args: string[], result: CliResult): string {
  return `cli ${args.join(' ')} → code ${result.code}${result.signal ? ` (${result.signal})` : ''}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

/** Asserts exit code 0 (showing the output when not). */
export function expectSuccess(result: CliResult): void {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
}

/** Asserts a non-zero exit with exactly one `error: …` line on stderr matching `reason`, nothing on stdout. */
export function expectOneLineFailure(result: CliResult, reason: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBeNull();
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toEqual([expect.stringMatching(/^error: \S/)]);
  expect(lines[0]).toMatch(reason);
  expect(result.stdout).toBe('');
}

/** A parsed `list-users --json` row. */
export interface CliUser {
  id: string;
  username: string;
  email: string | null;
  role: string;
  active: boolean;
  created_at: string;
  last_login_at: string | null;
}

/** What a `withCli` callback gets: the CLI, and SQL on the app's database (server stopped in embedded mode). */
export interface Offline {
  run: (args: string[], options?: CliRunOptions) => Promise<CliResult>;
  /** `list-users --json`, asserted to succeed and parsed. */
  listUsers: () => Promise<CliUser[]>;
  /** One statement on the app's database; returns its rows. */
  sql: <T = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<T[]>;
}

/**
 * One statement on a database of the test harness: a fresh `pg` client on DATABASE_URL, or (embedded
 * mode, no other process may hold the data dir) the data dir opened in-process for the statement.
 */
export async function querySql<T>(
  env: Record<string, string>,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  if (env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }
  const embedded = await EmbeddedPostgres.start(env.DATA_DIR);
  try {
    const client = new pg.Client({
      host: embedded.host,
      port: embedded.port,
      user: 'postgres',
      database: 'postgres',
    });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  } finally {
    await embedded.stop();
  }
}

/**
 * A test app (server + database, see `startTestApp`) that can hand its database to the admin CLI.
 * The embedded database admits one process at a time, so there `withCli` stops the server, runs the
 * callback and starts the server again on the same data dir and JWT secret (on a new port: always
 * use `app.http`/`app.baseUrl` afresh). With DATABASE_URL the server keeps running throughout.
 */
export class CliTestApp {
  private restarted: RunningServer | null = null;
  private agent: TestAgent;
  private url: string;

  private constructor(private readonly app: TestApp) {
    this.agent = app.http;
    this.url = app.baseUrl;
  }

  /** Starts a server on a fresh database with a known JWT secret and a lenient login limiter. */
  static async start(env: Record<string, string> = {}): Promise<CliTestApp> {
    return new CliTestApp(
      await startTestApp({ JWT_SECRET: randomSecret(), LOGIN_MAX_FAILURES: '1000', ...env }),
    );
  }

  get http(): TestAgent {
    return this.agent;
  }

  get baseUrl(): string {
    return this.url;
  }

  /** The server's (and the CLI's) environment: DATA_DIR or DATABASE_URL, JWT_SECRET, … */
  get env(): Record<string, string> {
    return this.app.env;
  }

  /** Runs the CLI now, whatever the server is doing (see `withCli` for the usual way). */
  run(args: string[], options?: CliRunOptions): Promise<CliResult> {
    return runCli(this.env, args, options);
  }

  /** Stops the running server (graceful, releases the embedded data dir). */
  async stopServer(): Promise<void> {
    if (this.restarted) await this.restarted.stop();
    else await this.app.stop();
  }

  /** Kills the running server with SIGKILL, as a crash would: no shutdown, nothing released. */
  async killServer(): Promise<void> {
    const pid = this.restarted ? this.restarted.process.pid : this.app.pid;
    process.kill(pid as number, 'SIGKILL');
    await this.stopServer(); // waits for its exit
  }

  /** Starts the server again on the same database and secret. */
  async startServer(): Promise<void> {
    this.restarted = await startServer(this.env);
    this.url = this.restarted.baseUrl;
    this.agent = request(this.url);
  }

  /** Gives the database to `fn` (stopping the server first in embedded mode) and restarts the server after. */
  async withCli<T>(fn: (offline: Offline) => Promise<T>): Promise<T> {
    const embedded = !usingPostgresServer;
    if (embedded) await this.stopServer();
    const run = (args: string[], options?: CliRunOptions): Promise<CliResult> => this.run(args, options);
    const offline: Offline = {
      run,
      listUsers: async () => {
        const result = await run(['list-users', '--json']);
        expect(describeRun(['list-users', '--json'], result)).toMatch(/→ code 0\n/);
        return JSON.parse(result.stdout) as CliUser[];
      },
      sql: (text, params) => querySql(this.env, text, params),
    };
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: await fn(offline) };
    } catch (error) {
      outcome = { error };
    }
    if (embedded) {
      try {
        await this.startServer();
      } catch (error) {
        if ('error' in outcome) throw outcome.error;
        throw error;
      }
    }
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  /** Stops whichever server runs and drops the database. */
  async close(): Promise<void> {
    if (this.restarted) await this.restarted.stop();
    await this.app.close();
  }
}

/** A database that has never been migrated, for the CLI alone (no server). */
export interface EmptyDatabase {
  env: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * A fresh, unmigrated database: a new database on the PostgreSQL server at DATABASE_URL, or an empty
 * embedded data dir (the CLI's first run creates the cluster in it).
 */
export async function createEmptyDatabase(): Promise<EmptyDatabase> {
  const secret = { JWT_SECRET: randomSecret() };
  if (usingPostgresServer) {
    const serverUrl = new URL(process.env.DATABASE_URL as string);
    const name = `chatbot_test_cli_${randomBytes(6).toString('hex')}`;
    await querySql({ DATABASE_URL: serverUrl.toString() }, `CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      env: { ...secret, DATABASE_URL: url.toString() },
      drop: async () => {
        await querySql(
          { DATABASE_URL: serverUrl.toString() },
          `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`,
        );
      },
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'chatbot-cli-test-'));
  return {
    env: { ...secret, DATA_DIR: dataDir },
    drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
  };
}
