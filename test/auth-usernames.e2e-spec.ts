import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hash } from '@node-rs/argon2';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config.js';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { MIGRATIONS } from '../src/database/migrations/index.js';
import { typeOrmOptions } from '../src/database/typeorm-options.js';
import {
  expectSeedBody,
  loginNative,
  registerNative,
  STRONG_PASSWORD,
  uniqueUsername,
} from './utils/auth-helpers.js';
import {
  CLI_TEST_TIMEOUT,
  createEmptyDatabase,
  EmptyDatabase,
  expectSuccess,
  querySql,
  runCli,
} from './utils/cli-helpers.js';
import { RunningServer, startServer, startTestApp, TestApp, usingPostgresServer } from './utils/test-app.js';

/** The fullwidth form of an ASCII name (`admin` → `ａｄｍｉｎ`), which NFKC maps back. */
const fullwidth = (ascii: string): string =>
  [...ascii].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
/** `é` composed (NFC) and decomposed (NFD). */
const NFC_E = '\u00e9';
const NFD_E = 'e\u0301';

/** Usernames are NFKC-normalised, as Django's `normalize_username` does, on every route family. */
describe('usernames: NFKC normalisation', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('native: the other form of a taken name is 409; login with it is 200 as the same account', async () => {
    const name = uniqueUsername('admin');
    const user = await registerNative(app.http, name);
    const clash = await app.http
      .post('/api/v1/auth/register')
      .send({ username: fullwidth(name), password: STRONG_PASSWORD });
    expect(clash.status).toBe(409);
    const pair = await loginNative(app.http, fullwidth(name));
    expect(pair.user).toMatchObject({ id: user.id, username: name });
  });

  it('NFD and NFC josé are one account on the three registration and four login routes', async () => {
    const suffix = uniqueUsername('');
    const nfc = `jos${NFC_E}${suffix}`;
    const nfd = `jos${NFD_E}${suffix}`;
    const user = await registerNative(app.http, nfd);
    expect(user.username).toBe(nfc);

    const taken = { username: ['A user with that username already exists.'] };
    expect(
      (await app.http.post('/api/v1/auth/register').send({ username: nfc, password: STRONG_PASSWORD }))
        .status,
    ).toBe(409);
    expectSeedBody(
      await app.http.post('/register/').send({ username: nfc, email: '', password: STRONG_PASSWORD }),
      400,
      taken,
    );
    expectSeedBody(
      await app.http
        .post('/api/v1/accounts/register/')
        .send({ username: nfc, email: '', password1: STRONG_PASSWORD, password2: STRONG_PASSWORD }),
      400,
      taken,
    );

    for (const form of [nfc, nfd]) {
      expect((await loginNative(app.http, form)).user.id).toBe(user.id);
      const quickChat = await app.http
        .post('/api/v1/accounts/login/')
        .send({ username: form, password: STRONG_PASSWORD });
      expect({
        status: quickChat.status,
        user_id: quickChat.body.user_id,
        username: quickChat.body.username,
      }).toEqual({
        status: 200,
        user_id: user.id,
        username: nfc,
      });
      expect(
        (await app.http.post('/login/').send({ username: form, password: STRONG_PASSWORD })).status,
      ).toBe(200);
      expect(
        (await app.http.post('/api/token/').send({ username: form, password: STRONG_PASSWORD })).status,
      ).toBe(200);
    }
  });

  it('a ligature: `ﬁn…` registers as `fin…` (seed routes too), and logs in by either form', async () => {
    const suffix = uniqueUsername('');
    const seed = await app.http
      .post('/register/')
      .send({ username: `\ufb01n${suffix}`, email: '', password: STRONG_PASSWORD });
    expectSeedBody(seed, 201, { username: `fin${suffix}`, email: '' });
    expect((await loginNative(app.http, `fin${suffix}`)).user.username).toBe(`fin${suffix}`);
    expect((await loginNative(app.http, `\ufb01n${suffix}`)).user.username).toBe(`fin${suffix}`);
    const quick = await app.http
      .post('/api/v1/accounts/register/')
      .send({ username: `FIN${suffix}`, email: '', password1: STRONG_PASSWORD, password2: STRONG_PASSWORD });
    expectSeedBody(quick, 400, { username: ['A user with that username already exists.'] });
  });
});

/**
 * The migration normalises the usernames stored before it where that names no other account, and leaves
 * the clashing ones as they were (reported in the log), never merging them.
 */
describe('usernames: the migration of existing rows', () => {
  const MIGRATION = 1795610000000;
  let database: EmptyDatabase;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  /** Runs the migrations older than the one under test, then `statements`, on the fresh database. */
  async function before(statements: [string, unknown[]][]): Promise<void> {
    const embedded = usingPostgresServer ? undefined : await EmbeddedPostgres.start(database.env.DATA_DIR);
    const dataSource = new DataSource({
      ...typeOrmOptions(loadConfig(database.env), embedded),
      migrations: MIGRATIONS.filter((m) => Number(/\d+$/.exec(m.name)?.[0]) < MIGRATION),
      logging: false,
    });
    try {
      await dataSource.initialize();
      await dataSource.runMigrations();
      for (const [text, params] of statements) await dataSource.query(text, params);
    } finally {
      await dataSource.destroy();
      await embedded?.stop();
    }
  }

  it(
    'normalises where no clash; clashes are kept as they were and reported; login by the normal form works',
    async () => {
      const s = uniqueUsername('').toLowerCase();
      const passwordHash = await hash(STRONG_PASSWORD, {
        algorithm: 2,
        memoryCost: 19456,
        timeCost: 2,
        parallelism: 1,
      });
      const rows = {
        alone: fullwidth(`full${s}`), // → `full…`
        ligature: `\ufb01n${s}`, // → `fin…`
        nfc: `jos${NFC_E}${s}`, // normal already; clashes with the NFD one
        nfd: `jos${NFD_E}${s}`,
        admin: `admin${s}`, // normal already; clashes with the fullwidth one
        adminWide: fullwidth(`admin${s}`),
        wide: fullwidth(`cd${s}`), // two un-normalised rows with one normal form
        halfWide: `c${fullwidth(`d${s}`)}`,
      };
      await before(
        Object.values(rows).map((username) => [
          'INSERT INTO users (username, password_hash) VALUES ($1, $2)',
          [username, passwordHash],
        ]),
      );

      server = await startServer({ ...database.env, LOG_LEVEL: 'info', LOGIN_MAX_FAILURES: '1000' });
      const login = async (username: string): Promise<number> =>
        (
          await fetch(`${server!.baseUrl}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username, password: STRONG_PASSWORD }),
          })
        ).status;
      expect([await login(`full${s}`), await login(rows.alone), await login(`fin${s}`)]).toEqual([
        200, 200, 200,
      ]);
      await server.stop(); // the embedded database admits one process
      const log = server.output.join('');
      server = undefined;

      const stored = await querySql<{ id: string; username: string }>(
        database.env,
        'SELECT id, username FROM users',
      );
      expect(stored.map((r) => r.username).sort()).toEqual(
        [
          `full${s}`,
          `fin${s}`,
          rows.nfc,
          rows.nfd,
          rows.admin,
          rows.adminWide,
          rows.wide,
          rows.halfWide,
        ].sort(),
      );
      const idOf = (username: string): string | undefined => stored.find((r) => r.username === username)?.id;
      const reported = (username: string): boolean => log.includes(`user ${idOf(username)} keeps the name`);
      const kept = [rows.nfd, rows.adminWide, rows.wide, rows.halfWide];
      expect(kept.map(reported)).toEqual([true, true, true, true]);
      expect([`full${s}`, `fin${s}`, rows.nfc, rows.admin].map(reported)).toEqual([
        false,
        false,
        false,
        false,
      ]);

      // the CLI normalises too: a fullwidth --username finds the account, and creates a normal one
      expectSuccess(await runCli(database.env, ['deactivate-user', '--username', fullwidth(`FULL${s}`)]));
      expectSuccess(
        await runCli(database.env, [
          'create-user',
          '--username',
          fullwidth(`new${s}`),
          '--password',
          STRONG_PASSWORD,
        ]),
      );
      const after = await querySql<{ username: string; is_active: boolean }>(
        database.env,
        'SELECT username, is_active FROM users WHERE username IN ($1, $2) ORDER BY username',
        [`full${s}`, `new${s}`],
      );
      expect(after).toEqual([
        { username: `full${s}`, is_active: false },
        { username: `new${s}`, is_active: true },
      ]);
    },
    CLI_TEST_TIMEOUT,
  );
});
