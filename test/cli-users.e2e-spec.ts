import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import {
  bearer,
  expectProblem,
  loginNative,
  NativeTokenPair,
  OTHER_STRONG_PASSWORD,
  registerNative,
  STRONG_PASSWORD,
  uniqueUsername,
  UUID,
} from './utils/auth-helpers.js';
import { quickChatToken } from './utils/chat-helpers.js';
import {
  CLI_TEST_TIMEOUT,
  CliTestApp,
  CliUser,
  expectOneLineFailure,
  expectSuccess,
} from './utils/cli-helpers.js';

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const COLUMNS = ['id', 'username', 'email', 'role', 'active', 'created_at', 'last_login_at'];

/** The user commands of the admin CLI, checked through the HTTP API of a server on the same database. */
describe('admin CLI: user commands', () => {
  let app: CliTestApp;

  beforeAll(async () => {
    app = await CliTestApp.start();
  });
  afterAll(async () => {
    await app?.close();
  });

  const login = (username: string, password: string): Promise<Response> =>
    app.http.post('/api/v1/auth/login').send({ username, password });
  const refresh = (refreshToken: string): Promise<Response> =>
    app.http.post('/api/v1/auth/refresh').send({ refresh_token: refreshToken });
  const me = (authorization: string): Promise<Response> =>
    app.http.get('/api/v1/auth/me').set('Authorization', authorization);
  const findUser = (users: CliUser[], username: string): CliUser[] =>
    users.filter((u) => u.username.toLowerCase() === username.toLowerCase());

  it(
    '`migrate` on the already migrated database: exit 0, nothing to do',
    async () => {
      await app.withCli(async ({ run }) => {
        const result = await run(['migrate']);
        expectSuccess(result);
        expect(result.stdout.trim()).toMatch(/^(No pending migrations|Nothing to do)\.?$/i);
      });
    },
    CLI_TEST_TIMEOUT,
  );

  describe('create-user', () => {
    it(
      '--admin makes an admin (login → role admin, GET /admin/stats → 200); --password-stdin makes a user (403); no auth → 401',
      async () => {
        const admin = uniqueUsername('cli_admin');
        const user = uniqueUsername('cli_user');
        await app.withCli(async ({ run, listUsers }) => {
          const created = await run([
            'create-user',
            '--username',
            admin,
            '--email',
            `${admin}@example.com`,
            '--password',
            STRONG_PASSWORD,
            '--admin',
          ]);
          expectSuccess(created);
          expect(created.stdout).toContain(admin);
          const fromStdin = await run(['create-user', '--username', user, '--password-stdin'], {
            stdin: `${OTHER_STRONG_PASSWORD}\nsecond line is ignored\n`,
          });
          expectSuccess(fromStdin);
          const users = await listUsers();
          expect(findUser(users, admin)).toEqual([
            expect.objectContaining({
              username: admin,
              email: `${admin}@example.com`,
              role: 'admin',
              active: true,
            }),
          ]);
          expect(findUser(users, user)).toEqual([
            expect.objectContaining({ username: user, email: null, role: 'user', active: true }),
          ]);
        });

        const adminPair = await loginNative(app.http, admin, STRONG_PASSWORD);
        expect(adminPair.user).toMatchObject({ username: admin, role: 'admin' });
        const userPair = await loginNative(app.http, user, OTHER_STRONG_PASSWORD);
        expect(userPair.user).toMatchObject({ username: user, role: 'user' });

        const asAdmin = await app.http
          .get('/api/v1/admin/stats')
          .set('Authorization', bearer(adminPair.access_token));
        expect(asAdmin.status).toBe(200);
        expect(asAdmin.body).toMatchObject({
          users: expect.any(Number),
          active_users: expect.any(Number),
          sessions: expect.any(Number),
          messages: expect.any(Number),
          usage: expect.any(Array),
        });
        expectProblem(
          await app.http.get('/api/v1/admin/stats').set('Authorization', bearer(userPair.access_token)),
          403,
        );
        expect((await app.http.get('/api/v1/admin/stats')).status).toBe(401);
      },
      CLI_TEST_TIMEOUT,
    );

    it(
      'refuses what registration refuses (empty username, `bad name!`, a bad email), with the same reason, and creates no user',
      async () => {
        const good = uniqueUsername('cli_valid');
        const cases: { args: string[]; field: string }[] = [
          { args: ['--username', ''], field: 'username' },
          { args: ['--username', 'bad name!'], field: 'username' },
          { args: ['--username', good, '--email', 'not-an-email'], field: 'email' },
          { args: ['--username', good, '--email', ''], field: 'email' },
        ];
        // the API's reason for each, from its problem details
        const reasons: string[] = [];
        for (const { args } of cases) {
          const body = {
            username: args[1],
            password: OTHER_STRONG_PASSWORD,
            ...(args[3] === undefined ? {} : { email: args[3] }),
          };
          const res = await app.http.post('/api/v1/auth/register').send(body);
          expect(res.status).toBe(400);
          reasons.push((res.body as { errors: { message: string }[] }).errors[0].message);
        }
        await app.withCli(async ({ run, listUsers }) => {
          for (const [i, { args, field }] of cases.entries()) {
            const result = await run(['create-user', ...args, '--password', OTHER_STRONG_PASSWORD]);
            expectOneLineFailure(
              result,
              new RegExp(`^error: ${escapeRegExp(reasons[i])} \\(--${field}\\)\\.$`),
            );
          }
          const users = await listUsers();
          expect(users.filter((u) => ['', 'bad name!', good].includes(u.username))).toEqual([]);
        });
      },
      CLI_TEST_TIMEOUT,
    );

    it(
      'a weak password, or a username taken in any letter case: non-zero, one-line reason, no user created',
      async () => {
        const taken = uniqueUsername('Cli_Taken');
        const weak = uniqueUsername('cli_weak');
        await registerNative(app.http, taken);
        await app.withCli(async ({ run, listUsers }) => {
          expectOneLineFailure(
            await run(['create-user', '--username', weak, '--password', 'password']),
            /password/i,
          );
          expectOneLineFailure(
            await run(['create-user', '--username', weak, '--password-stdin'], { stdin: 'password\n' }),
            /password/i,
          );
          for (const variant of [taken.toUpperCase(), taken.toLowerCase()]) {
            expectOneLineFailure(
              await run([
                'create-user',
                '--username',
                variant,
                '--password',
                OTHER_STRONG_PASSWORD,
                '--admin',
              ]),
              /already exists|taken/i,
            );
          }
          const users = await listUsers();
          expect(findUser(users, weak)).toEqual([]);
          expect(findUser(users, taken)).toEqual([
            expect.objectContaining({ username: taken, role: 'user' }),
          ]);
        });
        expect((await login(weak, 'password')).status).toBe(401);
        await loginNative(app.http, taken, STRONG_PASSWORD);
        expect((await login(taken, OTHER_STRONG_PASSWORD)).status).toBe(401);
      },
      CLI_TEST_TIMEOUT,
    );
  });

  it(
    'list-users --json: every account with id, username, email, role, active, created_at, last_login_at; the text form is a table',
    async () => {
      const seen = uniqueUsername('cli_seen');
      const unseen = uniqueUsername('cli_unseen');
      const seenUser = await registerNative(app.http, seen, STRONG_PASSWORD, `${seen}@example.com`);
      const unseenUser = await registerNative(app.http, unseen);
      await loginNative(app.http, seen);

      await app.withCli(async ({ run, listUsers }) => {
        const users = await listUsers();
        expect(Array.isArray(users)).toBe(true);
        for (const user of users) expect(Object.keys(user).sort()).toEqual([...COLUMNS].sort());
        expect(new Set(users.map((u) => u.id)).size).toBe(users.length);

        const [seenRow] = findUser(users, seen);
        expect(seenRow).toEqual({
          id: seenUser.id,
          username: seen,
          email: `${seen}@example.com`,
          role: 'user',
          active: true,
          created_at: seenUser.created_at,
          last_login_at: expect.stringMatching(ISO),
        });
        expect(Date.parse(seenRow.last_login_at as string)).toBeGreaterThanOrEqual(
          Date.parse(seenRow.created_at),
        );
        const [unseenRow] = findUser(users, unseen);
        expect(unseenRow).toEqual({
          id: unseenUser.id,
          username: unseen,
          email: null,
          role: 'user',
          active: true,
          created_at: expect.stringMatching(ISO),
          last_login_at: null,
        });
        expect(unseenRow.id).toMatch(UUID);

        const table = await run(['list-users']);
        expectSuccess(table);
        const lines = table.stdout.trimEnd().split('\n');
        expect(lines[0].split(/\s+/)).toEqual(COLUMNS);
        expect(lines).toHaveLength(users.length + 1);
        const row = lines.find((line) => line.includes(seenUser.id));
        expect(row?.split(/\s+/)).toEqual([
          seenUser.id,
          seen,
          `${seen}@example.com`,
          'user',
          'true',
          seenUser.created_at,
          seenRow.last_login_at,
        ]);
        // every row's columns start where the header's do
        const starts = COLUMNS.map((c) => lines[0].indexOf(c));
        for (const line of lines.slice(1))
          for (const start of starts.slice(1)) expect(line[start - 1]).toBe(' ');
      });
    },
    CLI_TEST_TIMEOUT,
  );

  describe('deactivate-user / activate-user', () => {
    it(
      'deactivation: login 401, refresh token, personal token and access token 401 at once; activation: login works again',
      async () => {
        const username = uniqueUsername('Cli_Off');
        await registerNative(app.http, username);
        const pair: NativeTokenPair = await loginNative(app.http, username);
        const personal = await quickChatToken(app.http, username);
        expect((await me(`Token ${personal}`)).status).toBe(200);

        await app.withCli(async ({ run, listUsers }) => {
          const result = await run(['deactivate-user', '--username', username.toUpperCase()]);
          expectSuccess(result);
          expect(findUser(await listUsers(), username)).toEqual([expect.objectContaining({ active: false })]);
        });

        expect((await login(username, STRONG_PASSWORD)).status).toBe(401);
        expect((await refresh(pair.refresh_token)).status).toBe(401);
        expect((await me(`Token ${personal}`)).status).toBe(401);
        expect((await me(bearer(pair.access_token))).status).toBe(401);

        await app.withCli(async ({ run, listUsers }) => {
          expectSuccess(await run(['activate-user', '--username', username]));
          expect(findUser(await listUsers(), username)).toEqual([expect.objectContaining({ active: true })]);
        });

        const again = await loginNative(app.http, username);
        expect(again.user.username).toBe(username);
        // activation lets the user log in again; it does not bring revoked tokens back
        expect((await refresh(pair.refresh_token)).status).toBe(401);
        expect((await me(`Token ${personal}`)).status).toBe(401);
        expect((await me(bearer(pair.access_token))).status).toBe(401);
        expect((await refresh(again.refresh_token)).status).toBe(200);
      },
      CLI_TEST_TIMEOUT,
    );

    it(
      'an unknown username: non-zero, one-line reason',
      async () => {
        await app.withCli(async ({ run }) => {
          expectOneLineFailure(await run(['deactivate-user', '--username', 'nobody_here']), /nobody_here/);
          expectOneLineFailure(await run(['activate-user', '--username', 'nobody_here']), /nobody_here/);
        });
      },
      CLI_TEST_TIMEOUT,
    );
  });

  describe('set-password', () => {
    it(
      'the old password stops working, the new one works; the earlier refresh token and personal token → 401',
      async () => {
        const username = uniqueUsername('cli_pw');
        await registerNative(app.http, username);
        const pair = await loginNative(app.http, username);
        const personal = await quickChatToken(app.http, username);

        await app.withCli(async ({ run }) => {
          const result = await run(['set-password', '--username', username, '--password-stdin'], {
            stdin: `${OTHER_STRONG_PASSWORD}\n`,
          });
          expectSuccess(result);
        });

        expect((await login(username, STRONG_PASSWORD)).status).toBe(401);
        await loginNative(app.http, username, OTHER_STRONG_PASSWORD);
        expect((await refresh(pair.refresh_token)).status).toBe(401);
        expect((await me(`Token ${personal}`)).status).toBe(401);
      },
      CLI_TEST_TIMEOUT,
    );

    it(
      'a weak password or an unknown user: non-zero, one-line reason, password and sessions untouched',
      async () => {
        const username = uniqueUsername('cli_pw_weak');
        await registerNative(app.http, username);
        const pair = await loginNative(app.http, username);
        const personal = await quickChatToken(app.http, username);

        await app.withCli(async ({ run }) => {
          expectOneLineFailure(
            await run(['set-password', '--username', username, '--password', 'password']),
            /password/i,
          );
          expectOneLineFailure(
            await run(['set-password', '--username', 'nobody_here', '--password', OTHER_STRONG_PASSWORD]),
            /nobody_here/,
          );
        });

        await loginNative(app.http, username, STRONG_PASSWORD);
        expect((await login(username, 'password')).status).toBe(401);
        expect((await refresh(pair.refresh_token)).status).toBe(200);
        expect((await me(`Token ${personal}`)).status).toBe(200);
      },
      CLI_TEST_TIMEOUT,
    );
  });
});
