import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loginNative, OTHER_STRONG_PASSWORD, registerNative, uniqueUsername } from './utils/auth-helpers.js';
import {
  CLI_TEST_TIMEOUT,
  CliTestApp,
  CliUser,
  expectOneLineFailure,
  expectSuccess,
  usingPostgresServer,
} from './utils/cli-helpers.js';

const usernames = (stdout: string): string[] => (JSON.parse(stdout) as CliUser[]).map((u) => u.username);

/** `list-users --json` with the server taken down (stopped or killed); the server is started again after. */
async function listUsersWhileDown(app: CliTestApp, takeDown: () => Promise<unknown>) {
  await takeDown();
  try {
    return await app.run(['list-users', '--json']);
  } finally {
    await app.startServer();
  }
}

/**
 * The embedded database admits one process: the CLI must refuse, saying so, while the server holds
 * the data dir. On a PostgreSQL server (DATABASE_URL) the same scenario must simply work.
 */
describe('admin CLI while the server runs on the same database', () => {
  let app: CliTestApp;

  beforeAll(async () => {
    app = await CliTestApp.start();
  });
  afterAll(async () => {
    await app?.close();
  });

  it(
    usingPostgresServer
      ? 'PostgreSQL server: list-users and create-user work while the server runs (no lock to refuse on)'
      : 'embedded: list-users / create-user exit non-zero saying the database is in use; after the server stops, list-users works with the data intact',
    async () => {
      const existing = uniqueUsername('cli_lock');
      const attempted = uniqueUsername('cli_lock_new');
      await registerNative(app.http, existing);

      if (usingPostgresServer) {
        const list = await app.run(['list-users', '--json']);
        expectSuccess(list);
        expect(usernames(list.stdout)).toContain(existing);
        expectSuccess(
          await app.run(['create-user', '--username', attempted, '--password', OTHER_STRONG_PASSWORD]),
        );
        await loginNative(app.http, attempted, OTHER_STRONG_PASSWORD);
        return;
      }

      const busy = await app.run(['list-users', '--json']);
      expectOneLineFailure(busy, /(already open|in use|locked)/i);
      expect(busy.stderr).toMatch(/database/i);
      expect(busy.stderr).toContain(app.env.DATA_DIR);
      const busyCreate = await app.run([
        'create-user',
        '--username',
        attempted,
        '--password',
        OTHER_STRONG_PASSWORD,
      ]);
      expectOneLineFailure(busyCreate, /(already open|in use|locked)/i);
      // the refused CLI left the server's database alone
      expect((await app.http.get('/health')).status).toBe(200);
      await loginNative(app.http, existing);

      const list = await listUsersWhileDown(app, () => app.stopServer());
      expectSuccess(list);
      expect(usernames(list.stdout)).toContain(existing);
      expect(usernames(list.stdout)).not.toContain(attempted);
      await loginNative(app.http, existing);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    '--help works while the server runs (help does not need the database)',
    async () => {
      const top = await app.run(['--help']);
      expect({ code: top.code, stderr: top.stderr }).toEqual({ code: 0, stderr: '' });
      expect(top.stdout).toContain('create-user');
      const command = await app.run(['list-users', '--help']);
      expect({ code: command.code, stderr: command.stderr }).toEqual({ code: 0, stderr: '' });
      expect(command.stdout).toContain('--json');
    },
    CLI_TEST_TIMEOUT,
  );
});

/**
 * A crash (SIGKILL) leaves the embedded data dir's lock behind. Its owner is gone, so the server and
 * the CLI must open the data dir again at once: before, they refused it until the lock aged out (15 s).
 */
describe('after a crash (SIGKILL) on the same database', () => {
  let app: CliTestApp;

  beforeAll(async () => {
    app = await CliTestApp.start();
  });
  afterAll(async () => {
    await app?.close();
  });

  const lockPath = (): string => join(app.env.DATA_DIR, 'postmaster.lock');

  it(
    'a killed server starts again at once with its data, and the CLI runs at once after one',
    async () => {
      const username = uniqueUsername('crash');
      await registerNative(app.http, username);
      await app.killServer();
      if (!usingPostgresServer) expect(existsSync(lockPath())).toBe(true);
      await app.startServer(); // before the fix: exited at once, "already open in another process"
      await loginNative(app.http, username);

      const list = await listUsersWhileDown(app, () => app.killServer());
      expectSuccess(list);
      expect(usernames(list.stdout)).toContain(username);
    },
    CLI_TEST_TIMEOUT,
  );

  (usingPostgresServer ? it.skip : it)(
    'embedded: a CLI killed while it holds the data dir stops neither the next CLI run nor the server',
    async () => {
      const username = uniqueUsername('crash_cli');
      await registerNative(app.http, username);
      await app.withCli(async ({ run }) => {
        // set-password waits for its password on standard input, holding the data dir, until killed
        const kill = new AbortController();
        const killed = run(['set-password', '--username', username, '--password-stdin'], {
          holdStdin: true,
          kill: kill.signal,
        });
        while (!existsSync(lockPath())) await new Promise((resolve) => setTimeout(resolve, 50));
        await new Promise((resolve) => setTimeout(resolve, 500)); // the owner is recorded right after
        kill.abort();
        expect((await killed).signal).toBe('SIGKILL');
        expect(existsSync(lockPath())).toBe(true);

        const list = await run(['list-users', '--json']);
        expectSuccess(list);
        expect(usernames(list.stdout)).toContain(username);
      }); // then withCli starts the server again on that data dir
      await loginNative(app.http, username);
    },
    CLI_TEST_TIMEOUT,
  );
});
