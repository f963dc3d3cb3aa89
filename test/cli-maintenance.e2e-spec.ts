import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bearer, loginNative, STRONG_PASSWORD, uniqueUsername } from './utils/auth-helpers.js';
import {
  allSessions,
  ChatUser,
  createSession,
  newUser,
  SESSIONS,
  sendMessage,
  Turn,
} from './utils/chat-helpers.js';
import { CLI_TEST_TIMEOUT, CliTestApp, expectOneLineFailure, expectSuccess } from './utils/cli-helpers.js';

describe('admin CLI: purge-sessions', () => {
  let app: CliTestApp;

  beforeAll(async () => {
    app = await CliTestApp.start();
  });
  afterAll(async () => {
    await app?.close();
  });

  it(
    '--dry-run counts without deleting; a purge deletes only sessions idle longer than the duration; --user limits it to one user',
    async () => {
      const alice: ChatUser = await newUser(app.http, 'cli_alice');
      const bob: ChatUser = await newUser(app.http, 'cli_bob');
      const make = async (user: ChatUser, title: string): Promise<string> =>
        (await createSession(app.http, user.auth, { title })).id;
      const aliceOld1 = await make(alice, 'alice idle 10 days');
      const aliceOld2 = await make(alice, 'alice idle 30 days');
      const aliceIdle3d = await make(alice, 'alice idle 3 days');
      const aliceRecent = await make(alice, 'alice recent');
      const bobOld = await make(bob, 'bob idle 10 days');
      const bobRecent = await make(bob, 'bob recent');

      await app.withCli(async ({ run, sql }) => {
        const backdate = (ids: string[], days: number) =>
          sql(
            `UPDATE chat_sessions SET updated_at = now() - make_interval(days => $2) WHERE id = ANY($1::uuid[])`,
            [ids, days],
          );
        await backdate([aliceOld1, bobOld], 10);
        await backdate([aliceOld2], 30);
        await backdate([aliceIdle3d], 3);
        const count = async (): Promise<number> =>
          Number((await sql<{ n: string }>('SELECT count(*) AS n FROM chat_sessions'))[0].n);

        const dryRun = await run(['purge-sessions', '--older-than', '7d', '--dry-run']);
        expectSuccess(dryRun);
        expect(dryRun.stdout.trim()).toMatch(/\b3\b/);
        expect(dryRun.stdout).toMatch(/would/i);
        const dryRun2d = await run(['purge-sessions', '--older-than', '2d', '--dry-run']);
        expectSuccess(dryRun2d);
        expect(dryRun2d.stdout.trim()).toMatch(/\b4\b/);
        const dryRunAlice = await run([
          'purge-sessions',
          '--older-than',
          '7d',
          '--user',
          alice.username,
          '--dry-run',
        ]);
        expectSuccess(dryRunAlice);
        expect(dryRunAlice.stdout.trim()).toMatch(/\b2\b/);
        expect(await count()).toBe(6);

        const purgeAlice = await run([
          'purge-sessions',
          '--older-than',
          '168h',
          '--user',
          alice.username.toUpperCase(),
        ]);
        expectSuccess(purgeAlice);
        expect(purgeAlice.stdout.trim()).toMatch(/\b2\b/);
        expect(await count()).toBe(4);
        const left = await sql<{ id: string }>('SELECT id FROM chat_sessions');
        expect(left.map((r) => r.id).sort()).toEqual([aliceIdle3d, aliceRecent, bobOld, bobRecent].sort());

        const purgeAll = await run(['purge-sessions', '--older-than', '7d']);
        expectSuccess(purgeAll);
        expect(purgeAll.stdout.trim()).toMatch(/\b1\b/);
        expect(await count()).toBe(3);
      });

      expect((await allSessions(app.http, alice.auth)).map((s) => s.id).sort()).toEqual(
        [aliceIdle3d, aliceRecent].sort(),
      );
      expect((await allSessions(app.http, bob.auth)).map((s) => s.id)).toEqual([bobRecent]);
      for (const [user, id] of [
        [alice, aliceOld1],
        [alice, aliceOld2],
        [bob, bobOld],
      ] as const) {
        expect((await app.http.get(`${SESSIONS}/${id}`).set('Authorization', user.auth)).status).toBe(404);
      }
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'a bad duration, a missing one, or an unknown --user: non-zero, one-line reason, nothing deleted',
    async () => {
      const carol = await newUser(app.http, 'cli_carol');
      const session = await createSession(app.http, carol.auth, { title: 'carol old' });
      await app.withCli(async ({ run, sql }) => {
        await sql(`UPDATE chat_sessions SET updated_at = now() - interval '60 days' WHERE id = $1`, [
          session.id,
        ]);
        for (const bad of ['7x', '-7d', '']) {
          expectOneLineFailure(await run(['purge-sessions', '--older-than', bad]), /older-than/);
        }
        const missing = await run(['purge-sessions']);
        expect(missing.code).not.toBe(0);
        expect(missing.stderr).toMatch(/^error: .*--older-than/);
        expectOneLineFailure(
          await run(['purge-sessions', '--older-than', '7d', '--user', 'nobody_here']),
          /nobody_here/,
        );
        expect(await sql('SELECT id FROM chat_sessions WHERE id = $1', [session.id])).toHaveLength(1);
      });
      expect((await allSessions(app.http, carol.auth)).map((s) => s.id)).toEqual([session.id]);
    },
    CLI_TEST_TIMEOUT,
  );
});

describe('admin CLI: stats', () => {
  let app: CliTestApp;
  const admin = uniqueUsername('cli_stats_admin');

  beforeAll(async () => {
    app = await CliTestApp.start();
    await app.withCli(async ({ run }) => {
      expectSuccess(
        await run(['create-user', '--username', admin, '--password', STRONG_PASSWORD, '--admin']),
      );
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it(
    'stats --json counts users, active users, sessions, messages and echo usage; GET /api/v1/admin/stats reports the same',
    async () => {
      const alice = await newUser(app.http, 'cli_stats_a');
      const bob = await newUser(app.http, 'cli_stats_b');
      const chat = await createSession(app.http, alice.auth, { title: 'chat' });
      await createSession(app.http, bob.auth, { title: 'empty' });
      const turns: Turn[] = [];
      turns.push(await sendMessage(app.http, alice.auth, chat.id, 'Hello there'));
      turns.push(await sendMessage(app.http, alice.auth, chat.id, 'What did I say?'));
      turns.push(await sendMessage(app.http, alice.auth, chat.id, 'And one more message'));
      for (const turn of turns)
        expect(turn.assistant_message).toMatchObject({ provider: 'echo', status: 'complete' });
      const expectedUsage = [
        {
          provider: 'echo',
          model: turns[0].assistant_message.model,
          answers: 3,
          prompt_tokens: turns.reduce((sum, t) => sum + (t.assistant_message.usage?.prompt_tokens ?? 0), 0),
          completion_tokens: turns.reduce(
            (sum, t) => sum + (t.assistant_message.usage?.completion_tokens ?? 0),
            0,
          ),
        },
      ];
      expect(expectedUsage[0].prompt_tokens).toBeGreaterThan(0);
      expect(expectedUsage[0].completion_tokens).toBeGreaterThan(0);
      const expected = { users: 3, active_users: 2, sessions: 2, messages: 6, usage: expectedUsage };

      const cli = await app.withCli(async ({ run }) => {
        expectSuccess(await run(['deactivate-user', '--username', bob.username]));
        const json = await run(['stats', '--json']);
        expectSuccess(json);
        const text = await run(['stats']);
        expectSuccess(text);
        return { json: JSON.parse(json.stdout) as unknown, text: text.stdout };
      });
      expect(cli.json).toEqual(expected);
      expect(cli.text).toMatch(/^users: 3 \(2 active\)$/m);
      expect(cli.text).toMatch(/^sessions: 2$/m);
      expect(cli.text).toMatch(/^messages: 6$/m);
      const row = cli.text.split('\n').find((line) => line.startsWith('echo'));
      expect(row?.split(/\s+/)).toEqual([
        'echo',
        String(expectedUsage[0].model ?? '-'),
        '3',
        String(expectedUsage[0].prompt_tokens),
        String(expectedUsage[0].completion_tokens),
      ]);

      const { access_token } = await loginNative(app.http, admin);
      const res = await app.http.get('/api/v1/admin/stats').set('Authorization', bearer(access_token));
      expect(res.status).toBe(200);
      expect(res.body).toEqual(cli.json);
    },
    CLI_TEST_TIMEOUT,
  );
});
