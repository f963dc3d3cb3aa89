import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  bearer,
  loginNative,
  OTHER_STRONG_PASSWORD,
  registerNative,
  STRONG_PASSWORD,
  uniqueUsername,
} from './utils/auth-helpers.js';
import { CLI_TEST_TIMEOUT, CliTestApp, expectSuccess } from './utils/cli-helpers.js';

/** Every kind of credential one account can hold: native and seed JWTs, refresh tokens, a personal token. */
interface Credentials {
  nativeAccess: string;
  nativeRefresh: string;
  seedAccess: string;
  seedRefresh: string;
  personal: string;
}

/**
 * Revocation by the admin CLI takes effect at once, not at the access token's expiry: after
 * `deactivate-user` or `set-password` every earlier token is refused on every route family, and an
 * admin who loses the role is refused the admin routes while her tokens keep working elsewhere.
 */
describe('revocation at once', () => {
  let app: CliTestApp;

  beforeAll(async () => {
    app = await CliTestApp.start();
  });
  afterAll(async () => {
    await app?.close();
  });

  async function credentialsOf(username: string, password = STRONG_PASSWORD): Promise<Credentials> {
    const native = await loginNative(app.http, username, password);
    const seed = await app.http.post('/api/token/').send({ username, password });
    expect(seed.status).toBe(200);
    const quickChat = await app.http.post('/api/v1/accounts/login/').send({ username, password });
    expect(quickChat.status).toBe(200);
    return {
      nativeAccess: native.access_token,
      nativeRefresh: native.refresh_token,
      seedAccess: seed.body.access as string,
      seedRefresh: seed.body.refresh as string,
      personal: quickChat.body.token as string,
    };
  }

  /** The status of each credential on each route family, token checks and refreshes included. */
  async function statuses(c: Credentials): Promise<Record<string, number>> {
    const get = async (path: string, authorization: string): Promise<number> =>
      (await app.http.get(path).set('Authorization', authorization)).status;
    const post = async (path: string, body: object): Promise<number> =>
      (await app.http.post(path).send(body)).status;
    return {
      'native access on native sessions': await get('/api/v1/chat-sessions', bearer(c.nativeAccess)),
      'native access on /me': await get('/api/v1/auth/me', bearer(c.nativeAccess)),
      'native access on quick-chat history': await get('/api/v1/chat/chats-history/', bearer(c.nativeAccess)),
      'seed access on seed sessions': await get('/chatsessions/', bearer(c.seedAccess)),
      'seed access on native sessions': await get('/api/v1/chat-sessions', bearer(c.seedAccess)),
      'personal token on quick-chat history': await get('/api/v1/chat/chats-history/', `Token ${c.personal}`),
      'native verify': await post('/api/v1/auth/verify', { token: c.nativeAccess }),
      'seed verify': await post('/api/token/verify/', { token: c.seedAccess }),
      // refreshes last: a successful one rotates the token
      'native refresh': await post('/api/v1/auth/refresh', { refresh_token: c.nativeRefresh }),
      'seed refresh': await post('/api/token/refresh/', { refresh: c.seedRefresh }),
    };
  }

  /** Asserts that every probe of {@link statuses} answered `status`. */
  function expectEvery(seen: Record<string, number>, status: number): void {
    expect(seen).toEqual(Object.fromEntries(Object.keys(seen).map((probe) => [probe, status])));
  }

  it(
    'deactivate-user: every earlier token is 401 at once, and stays so after activate-user',
    async () => {
      const username = uniqueUsername('revoke_off');
      await registerNative(app.http, username);
      const before = await credentialsOf(username);
      const probe = await credentialsOf(username);
      expectEvery(await statuses(probe), 200);

      await app.withCli(async ({ run }) => {
        expectSuccess(await run(['deactivate-user', '--username', username]));
      });
      expectEvery(await statuses(before), 401);

      await app.withCli(async ({ run }) => {
        expectSuccess(await run(['activate-user', '--username', username]));
      });
      expectEvery(await statuses(before), 401);
      const after = await credentialsOf(username);
      expectEvery(await statuses(after), 200);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'set-password: every earlier token is 401 at once; tokens of a new login work',
    async () => {
      const username = uniqueUsername('revoke_pw');
      await registerNative(app.http, username);
      const before = await credentialsOf(username);

      await app.withCli(async ({ run }) => {
        const result = await run(['set-password', '--username', username, '--password-stdin'], {
          stdin: `${OTHER_STRONG_PASSWORD}\n`,
        });
        expectSuccess(result);
      });
      expectEvery(await statuses(before), 401);
      const after = await credentialsOf(username, OTHER_STRONG_PASSWORD);
      expectEvery(await statuses(after), 200);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'an admin who loses the role: 403 on the admin route at once with every token kind, other routes still 200',
    async () => {
      const admin = uniqueUsername('revoke_admin');
      await app.withCli(async ({ run }) => {
        expectSuccess(
          await run(['create-user', '--username', admin, '--password', STRONG_PASSWORD, '--admin']),
        );
      });
      const c = await credentialsOf(admin);
      const adminRoute = async (authorization: string): Promise<number> =>
        (await app.http.get('/api/v1/admin/stats').set('Authorization', authorization)).status;
      const adminStatuses = async (): Promise<number[]> => [
        await adminRoute(bearer(c.nativeAccess)),
        await adminRoute(bearer(c.seedAccess)),
        await adminRoute(`Token ${c.personal}`),
      ];
      expect(await adminStatuses()).toEqual([200, 200, 200]);

      await app.withCli(async ({ sql }) => {
        await sql(`UPDATE users SET role = 'user' WHERE lower(username) = lower($1)`, [admin]);
      });
      expect(await adminStatuses()).toEqual([403, 403, 403]);
      expectEvery(await statuses(c), 200);
      const me = await app.http.get('/api/v1/auth/me').set('Authorization', bearer(c.nativeAccess));
      expect(me.body).toMatchObject({ username: admin, role: 'user' });
    },
    CLI_TEST_TIMEOUT,
  );
});
