import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { STRONG_PASSWORD, uniqueUsername } from './utils/auth-helpers.js';
import {
  CLI_TEST_TIMEOUT,
  CliTestApp,
  expectOneLineFailure,
  usingPostgresServer,
} from './utils/cli-helpers.js';
import { startTestApp } from './utils/test-app.js';

const RACERS = 20;

/** What no output may hold: an argon2id hash, the password, or TypeORM's parameter dump. */
function expectNoSecrets(output: string, password: string): void {
  expect(output).not.toContain('$argon2id$');
  expect(output).not.toContain(password);
  expect(output).not.toMatch(/PARAMETERS|"parameters"/i);
}

/**
 * A lost unique-violation race on register (the insert of a username another request has just taken)
 * once printed TypeORM's "query failed" line with its parameters, the password hash among them, to
 * stdout whatever LOG_LEVEL said. Every line goes through pino now, and no query's values are logged.
 */
describe('logs during a race of registrations of one username', () => {
  for (const level of ['debug', 'silent'] as const) {
    it(`LOG_LEVEL=${level}: one 201, the rest 409; no hash, password or parameters in the output${level === 'silent' ? ', indeed no output' : ''}`, async () => {
      const app = await startTestApp({ LOG_LEVEL: level });
      try {
        const username = uniqueUsername('race');
        const password = `${STRONG_PASSWORD}-${randomBytes(6).toString('hex')}`;
        const responses = await Promise.all(
          Array.from({ length: RACERS }, () =>
            app.http.post('/api/v1/auth/register').send({ username, password }),
          ),
        );
        const statuses = responses.map((r) => r.status).sort();
        expect(statuses).toEqual([201, ...Array<number>(RACERS - 1).fill(409)]);
        await app.stop(); // flushes the output
        const output = app.output();
        expectNoSecrets(output, password);
        if (level === 'silent') {
          expect(output).toBe('');
          return;
        }
        const lines = output
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, unknown>); // pino's, every one
        // the lost races are logged at debug, by pino, with the statement but not its values
        const failed = lines.filter((line) => line.msg === 'query failed');
        expect(failed.length).toBeGreaterThan(0);
        for (const line of failed) {
          expect(line).toMatchObject({ level: 20, context: 'TypeORM', code: '23505' });
          expect(line.query).toMatch(/^INSERT INTO "users"/);
        }
      } finally {
        await app.close();
      }
    });
  }

  (usingPostgresServer ? it : it.skip)(
    'PostgreSQL server: concurrent CLI create-user of one username: one succeeds, the others fail with one line, nothing more',
    async () => {
      const app = await CliTestApp.start({ LOG_LEVEL: 'debug' });
      try {
        const username = uniqueUsername('cli_race');
        const password = `${STRONG_PASSWORD}-${randomBytes(6).toString('hex')}`;
        const results = await Promise.all(
          Array.from({ length: 6 }, () =>
            app.run(['create-user', '--username', username, '--password-stdin'], { stdin: `${password}\n` }),
          ),
        );
        const [created, ...refused] = [...results].sort((a, b) => (a.code ?? 1) - (b.code ?? 1));
        expect(created.code).toBe(0);
        for (const result of refused) expectOneLineFailure(result, /already exists/);
        expectNoSecrets(results.map((r) => r.stdout + r.stderr).join(''), password);
      } finally {
        await app.close();
      }
    },
    CLI_TEST_TIMEOUT,
  );
});
