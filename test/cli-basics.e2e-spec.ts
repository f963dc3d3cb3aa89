import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CLI_TEST_TIMEOUT,
  CliResult,
  createEmptyDatabase,
  describeRun,
  EmptyDatabase,
  expectOneLineFailure,
  expectSuccess,
  runCli,
} from './utils/cli-helpers.js';

/** Every command with the options its --help must list. */
const COMMANDS: Record<string, string[]> = {
  migrate: [],
  'create-user': [
    '--username <username>',
    '--email <email>',
    '--password <password>',
    '--password-stdin',
    '--admin',
  ],
  'list-users': ['--json'],
  'set-password': ['--username <username>', '--password <password>', '--password-stdin'],
  'deactivate-user': ['--username <username>'],
  'activate-user': ['--username <username>'],
  'purge-sessions': ['--older-than <duration>', '--user <username>', '--dry-run'],
  stats: ['--json'],
};

/**
 * The CLI on its own, on a database that starts empty: the refusal before `migrate`, `migrate` itself,
 * help and usage errors. The tests run in order (the database is migrated half-way through).
 */
describe('admin CLI: migrate, help and usage errors', () => {
  let db: EmptyDatabase;
  const cli = (args: string[], stdin?: string): Promise<CliResult> => runCli(db.env, args, { stdin });

  beforeAll(async () => {
    db = await createEmptyDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  describe('before the first migrate', () => {
    it(
      'a command refuses with one line telling to run `migrate`, and changes nothing',
      async () => {
        for (const args of [
          ['list-users'],
          ['stats', '--json'],
          ['create-user', '--username', 'early_bird', '--password', 'violet-Sunrise-47'],
        ]) {
          const result = await cli(args);
          expectOneLineFailure(result, /pending migrations/i);
          expect(result.stderr).toMatch(/\bmigrate\b/);
        }
      },
      CLI_TEST_TIMEOUT,
    );

    it(
      "a command's --help works (help does not need a migrated database)",
      async () => {
        const result = await cli(['create-user', '--help']);
        expect(describeRun(['create-user', '--help'], result)).toMatch(/→ code 0\n/);
        expect(result.stdout).toContain('--username <username>');
      },
      CLI_TEST_TIMEOUT,
    );

    it(
      'an unknown command is reported as unknown, not as pending migrations',
      async () => {
        const result = await cli(['frobnicate']);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/^error: unknown command 'frobnicate'/);
      },
      CLI_TEST_TIMEOUT,
    );
  });

  it(
    '`migrate` applies every migration (exit 0, one line each), then commands work',
    async () => {
      const migrate = await cli(['migrate']);
      expectSuccess(migrate);
      const applied = migrate.stdout.trimEnd().split('\n');
      expect(applied.length).toBeGreaterThanOrEqual(2);
      for (const line of applied) expect(line).toMatch(/^Applied \S+$/);

      const list = await cli(['list-users', '--json']);
      expectSuccess(list);
      expect(JSON.parse(list.stdout)).toEqual([]);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    '`migrate` again: exit 0, says there is nothing to do',
    async () => {
      const result = await cli(['migrate']);
      expectSuccess(result);
      expect(result.stdout.trim()).toMatch(/^(No pending migrations|Nothing to do)\.?$/i);
    },
    CLI_TEST_TIMEOUT,
  );

  describe('help', () => {
    it(
      '--help exits 0 and lists every command with a description',
      async () => {
        const result = await cli(['--help']);
        expectSuccess(result);
        for (const command of Object.keys(COMMANDS)) {
          expect({
            command,
            listed: new RegExp(`^\\s+${command}\\b.*\\S+\\s+\\S`, 'm').test(result.stdout),
          }).toEqual({
            command,
            listed: true,
          });
        }
      },
      CLI_TEST_TIMEOUT,
    );

    it(
      '`<command> --help` exits 0 and lists its options, for every command',
      async () => {
        for (const [command, options] of Object.entries(COMMANDS)) {
          const result = await cli([command, '--help']);
          expect({ command, code: result.code, stderr: result.stderr }).toEqual({
            command,
            code: 0,
            stderr: '',
          });
          expect(result.stdout).toMatch(new RegExp(`^Usage: .*\\b${command}\\b`, 'm'));
          for (const option of options)
            expect({ command, option, listed: result.stdout.includes(option) }).toEqual({
              command,
              option,
              listed: true,
            });
        }
      },
      CLI_TEST_TIMEOUT,
    );
  });

  describe('usage errors: non-zero exit with a message on stderr', () => {
    it(
      'an unknown command',
      async () => {
        const result = await cli(['frobnicate']);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/^error: unknown command 'frobnicate'/);
        expect(result.stdout).toBe('');
      },
      CLI_TEST_TIMEOUT,
    );

    it(
      'an unknown option',
      async () => {
        const result = await cli(['list-users', '--frobnicate']);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(/^error: unknown option '--frobnicate'/);
        expect(result.stdout).toBe('');
      },
      CLI_TEST_TIMEOUT,
    );

    it(
      'a missing required option, and an option without its value',
      async () => {
        const noUsername = await cli(['deactivate-user']);
        expect(noUsername.code).not.toBe(0);
        expect(noUsername.stderr).toMatch(/^error: .*--username/);

        const noDuration = await cli(['purge-sessions', '--older-than']);
        expect(noDuration.code).not.toBe(0);
        expect(noDuration.stderr).toMatch(/^error: .*--older-than/);
      },
      CLI_TEST_TIMEOUT,
    );

    it(
      'both --password and --password-stdin, or neither: one-line refusal',
      async () => {
        const both = await cli(
          ['create-user', '--username', 'both_ways', '--password', 'violet-Sunrise-47', '--password-stdin'],
          'violet-Sunrise-47\n',
        );
        expectOneLineFailure(both, /either --password or --password-stdin/);
        const neither = await cli(['create-user', '--username', 'no_password']);
        expectOneLineFailure(neither, /password is required/i);
        const emptyStdin = await cli(['create-user', '--username', 'no_password', '--password-stdin'], '');
        expectOneLineFailure(emptyStdin, /no password/i);

        const list = await cli(['list-users', '--json']);
        expectSuccess(list);
        expect(JSON.parse(list.stdout)).toEqual([]);
      },
      CLI_TEST_TIMEOUT,
    );
  });
});
