import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI, { AuthenticationError } from 'openai';
import type { Response } from 'supertest';
import {
  bearer,
  expectFieldProblem,
  expectProblem,
  loginNative,
  OTHER_STRONG_PASSWORD,
  STRONG_PASSWORD,
  UUID,
} from './utils/auth-helpers.js';
import { newUser, quickChatToken, seedAccessToken, type ChatUser, UNKNOWN_ID } from './utils/chat-helpers.js';
import { CLI_TEST_TIMEOUT, CliTestApp, expectOneLineFailure, expectSuccess } from './utils/cli-helpers.js';

const KEYS = '/api/v1/api-keys';
const KEY = /^cbk_[A-Za-z0-9_-]{43}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DAY_MS = 86_400_000;

interface KeyBody {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

interface CliKey extends KeyBody {
  revoked_at: string | null;
}

/** Personal API keys: their routes, their revocation with the account's sessions, their CLI, and where they are refused. */
describe('API keys', () => {
  let app: CliTestApp;
  let ada: ChatUser;

  beforeAll(async () => {
    app = await CliTestApp.start();
    ada = await newUser(app.http, 'keys');
  });
  afterAll(async () => {
    await app?.close();
  });

  const create = (auth: string, body: Record<string, unknown>): Promise<Response> =>
    app.http.post(KEYS).set('Authorization', auth).send(body);
  const list = async (auth: string): Promise<KeyBody[]> => {
    const res = await app.http.get(KEYS).set('Authorization', auth);
    expect(res.status).toBe(200);
    return (res.body as { data: KeyBody[] }).data;
  };
  const newKey = async (auth: string, name: string, extra: Record<string, unknown> = {}) => {
    const res = await create(auth, { name, ...extra });
    expect(res.status).toBe(201);
    return res.body as KeyBody & { key: string };
  };
  /** A completion from the gateway (echo behind it) with `key`, through the official `openai` SDK. */
  const askGateway = (key: string) =>
    new OpenAI({ apiKey: key, baseURL: `${app.baseUrl}/v1`, maxRetries: 0 }).chat.completions.create({
      model: 'echo/echo',
      messages: [{ role: 'user', content: 'hi' }],
    });
  const gatewayAnswers = async (key: string): Promise<void> => {
    await expect(askGateway(key)).resolves.toMatchObject({ object: 'chat.completion' });
  };
  /** The gateway refuses `key`: a 401 in OpenAI's shape, raised by the SDK as AuthenticationError. */
  const gatewayRefuses = async (key: string): Promise<void> => {
    const error = await askGateway(key).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    expect((error as AuthenticationError).error).toEqual({
      message: 'Invalid, expired or revoked API key.',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_api_key',
    });
  };

  describe('life cycle', () => {
    it('POST returns the key once (cbk_…), GET lists it without the secret, DELETE revokes it at once', async () => {
      const started = Date.now();
      const created = await newKey(ada.auth, 'laptop');
      expect(created).toEqual({
        id: expect.stringMatching(UUID),
        name: 'laptop',
        prefix: created.key.slice(0, 12),
        created_at: expect.stringMatching(ISO),
        last_used_at: null,
        expires_at: null,
        key: expect.stringMatching(KEY),
      });
      expect(Date.parse(created.created_at)).toBeGreaterThanOrEqual(started - 5_000);

      const listed = await app.http.get(KEYS).set('Authorization', ada.auth);
      expect(listed.status).toBe(200);
      const { key, ...shown } = created;
      expect(listed.body.data).toContainEqual(shown);
      // Neither the secret nor anything past its shown prefix is ever listed.
      expect(listed.text).not.toContain(key);
      expect(listed.text).not.toContain(key.slice(12));
      expect(Object.keys(listed.body.data[0] as object).sort()).toEqual(
        ['created_at', 'expires_at', 'id', 'last_used_at', 'name', 'prefix'].sort(),
      );

      const revoked = await app.http.delete(`${KEYS}/${created.id}`).set('Authorization', ada.auth);
      expect(revoked.status).toBe(204);
      expect((await list(ada.auth)).map((k) => k.id)).not.toContain(created.id);
      expectProblem(await app.http.delete(`${KEYS}/${created.id}`).set('Authorization', ada.auth), 404);
    });

    it('two keys are distinct; the list is newest first', async () => {
      const user = await newUser(app.http, 'keys2');
      const first = await newKey(user.auth, 'first');
      const second = await newKey(user.auth, 'second');
      expect(second.key).not.toBe(first.key);
      expect((await list(user.auth)).map((k) => k.name)).toEqual(['second', 'first']);
    });

    it('expires_in_days sets expires_at that many days ahead', async () => {
      const before = Date.now();
      const created = await newKey(ada.auth, 'ci', { expires_in_days: 30 });
      const expires = Date.parse(created.expires_at ?? '');
      expect(expires).toBeGreaterThanOrEqual(before + 30 * DAY_MS - 5_000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 30 * DAY_MS + 5_000);
    });

    it("another user's key, an unknown id and a malformed id are 404, and the key stays", async () => {
      const other = await newUser(app.http, 'keys_other');
      const theirs = await newKey(other.auth, 'theirs');
      for (const id of [theirs.id, UNKNOWN_ID, 'not-a-uuid']) {
        const res = await app.http.delete(`${KEYS}/${id}`).set('Authorization', ada.auth);
        expectProblem(res, 404);
        expect(res.body.detail).toBe('API key not found.');
      }
      expect((await list(other.auth)).map((k) => k.id)).toEqual([theirs.id]);
    });

    it('bad bodies are 400 naming the field; nothing is created', async () => {
      const user = await newUser(app.http, 'keys_bad');
      expectFieldProblem(await create(user.auth, {}), 'name');
      expectFieldProblem(await create(user.auth, { name: '   ' }), 'name');
      expectFieldProblem(await create(user.auth, { name: 'x'.repeat(101) }), 'name');
      expectFieldProblem(await create(user.auth, { name: 'ok', expires_in_days: 0 }), 'expires_in_days');
      expectFieldProblem(await create(user.auth, { name: 'ok', expires_in_days: 3651 }), 'expires_in_days');
      expectFieldProblem(await create(user.auth, { name: 'ok', expires_in_days: '7' }), 'expires_in_days');
      expectFieldProblem(await create(user.auth, { name: 'ok', expires_in_days: 1.5 }), 'expires_in_days');
      expectFieldProblem(await create(user.auth, { name: 'ok', secret: 'mine' }), 'secret');
      expect(await list(user.auth)).toEqual([]);
    });

    it('a user holds at most 50 live keys: the 51st is a 409 until one is revoked', async () => {
      const user = await newUser(app.http, 'keys_cap');
      const created = await Promise.all(Array.from({ length: 50 }, (_, i) => newKey(user.auth, `key ${i}`)));
      const refused = await create(user.auth, { name: 'one too many' });
      expectProblem(refused, 409);
      expect(refused.body.detail).toMatch(/50 API keys/);
      expect(await list(user.auth)).toHaveLength(50);
      await app.http.delete(`${KEYS}/${created[0].id}`).set('Authorization', user.auth).expect(204);
      await newKey(user.auth, 'room again');
    });

    it('a call through the gateway sets last_used_at, which GET then lists', async () => {
      const user = await newUser(app.http, 'keys_used');
      const used = await newKey(user.auth, 'used');
      const idle = await newKey(user.auth, 'idle');
      const before = Date.now();
      await gatewayAnswers(used.key);
      const listed = await list(user.auth);
      const lastUsed = listed.find((k) => k.id === used.id)?.last_used_at;
      expect(lastUsed).toMatch(ISO);
      expect(Date.parse(lastUsed ?? '')).toBeGreaterThanOrEqual(before - 5_000);
      expect(Date.parse(lastUsed ?? '')).toBeLessThanOrEqual(Date.now() + 5_000);
      expect(listed.find((k) => k.id === idle.id)?.last_used_at).toBeNull();
    });

    it('without credentials every route is 401', async () => {
      expectProblem(await app.http.get(KEYS), 401);
      expectProblem(await app.http.post(KEYS).send({ name: 'x' }), 401);
      expectProblem(await app.http.delete(`${KEYS}/${UNKNOWN_ID}`), 401);
    });
  });

  describe('an API key is refused everywhere but the gateway', () => {
    it('Bearer cbk_… is a 401 on the native routes, the key routes included; Token cbk_… on quick-chat; and on the seeds', async () => {
      const { key } = await newKey(ada.auth, 'refused');
      const native = await app.http.get('/api/v1/chat-sessions').set('Authorization', bearer(key));
      expectProblem(native, 401);
      expect(native.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(native.body.detail).toMatch(/gateway/);
      expectProblem(await app.http.get(KEYS).set('Authorization', bearer(key)), 401);
      expectProblem(await app.http.post(KEYS).set('Authorization', bearer(key)).send({ name: 'x' }), 401);
      expectProblem(await app.http.get('/api/v1/auth/me').set('Authorization', bearer(key)), 401);

      const quick = await app.http.get('/api/v1/chat/chats-history/').set('Authorization', `Token ${key}`);
      expect(quick.status).toBe(401);
      expect(quick.body).toEqual({ detail: 'Invalid token.' });
      const seed = await app.http.get('/chatsessions/').set('Authorization', bearer(key));
      expect(seed.status).toBe(401);
      expect(seed.body).toMatchObject({ code: 'token_not_valid' });
      expect(JSON.stringify([native.body, quick.body, seed.body])).not.toContain(key);
    });

    it('keys are managed with any of the three families’ tokens', async () => {
      const quick = await quickChatToken(app.http, ada.username);
      expect((await create(`Token ${quick}`, { name: 'from quick-chat' })).status).toBe(201);
      const seed = await seedAccessToken(app.http, ada.username);
      expect((await list(bearer(seed))).map((k) => k.name)).toContain('from quick-chat');
    });
  });

  describe('revoked with the account’s sessions, and the CLI', () => {
    it(
      'deactivate-user (then activate-user) and set-password revoke every key of the account at once: listed revoked, 401 at the gateway',
      async () => {
        const bob = await newUser(app.http, 'keys_bob');
        const kept = await newKey(bob.auth, 'before deactivation');
        const carol = await newUser(app.http, 'keys_carol');
        const carols = await newKey(carol.auth, 'before password change');
        const bystander = await newKey(ada.auth, 'bystander');
        for (const { key } of [kept, carols, bystander]) await gatewayAnswers(key);

        const [bobKeys, carolKeys, adaKeys] = await app.withCli(async ({ run }) => {
          expectSuccess(await run(['deactivate-user', '--username', bob.username]));
          expectSuccess(await run(['activate-user', '--username', bob.username]));
          expectSuccess(
            await run(['set-password', '--username', carol.username, '--password-stdin'], {
              stdin: `${OTHER_STRONG_PASSWORD}\n`,
            }),
          );
          const listed: CliKey[][] = [];
          for (const name of [bob.username, carol.username, ada.username]) {
            const result = await run(['list-api-keys', '--user', name, '--json']);
            expectSuccess(result);
            listed.push(JSON.parse(result.stdout) as CliKey[]);
          }
          return listed;
        });
        const used = { last_used_at: expect.stringMatching(ISO), revoked_at: expect.stringMatching(ISO) };
        expect(bobKeys).toEqual([{ ...withoutKey(kept), ...used }]);
        expect(carolKeys).toEqual([{ ...withoutKey(carols), ...used }]);
        expect(adaKeys.find((k) => k.id === bystander.id)?.revoked_at).toBeNull();

        // at the gateway: the old keys are 401s, bob's although he is active again; ada's still answers
        await gatewayRefuses(kept.key);
        await gatewayRefuses(carols.key);
        await gatewayAnswers(bystander.key);

        const bobAgain = await loginNative(app.http, bob.username, STRONG_PASSWORD);
        expect(await list(bearer(bobAgain.access_token))).toEqual([]);
        const carolAgain = await loginNative(app.http, carol.username, OTHER_STRONG_PASSWORD);
        expect(await list(bearer(carolAgain.access_token))).toEqual([]);
      },
      CLI_TEST_TIMEOUT,
    );

    it(
      'list-api-keys prints a table without secrets; revoke-api-key revokes by id, once (401 at the gateway); unknown user or id fail',
      async () => {
        const dave = await newUser(app.http, 'keys_dave');
        const first = await newKey(dave.auth, 'first');
        const second = await newKey(dave.auth, 'second', { expires_in_days: 7 });
        await app.withCli(async ({ run }) => {
          const table = await run(['list-api-keys', '--user', dave.username.toUpperCase()]);
          expectSuccess(table);
          const lines = table.stdout.trimEnd().split('\n');
          expect(lines[0]).toMatch(
            /^id\s+name\s+prefix\s+created_at\s+last_used_at\s+expires_at\s+revoked_at$/,
          );
          expect(lines).toHaveLength(3);
          expect(lines[1]).toContain(second.id);
          expect(lines[2]).toContain(first.prefix);
          expect(table.stdout).not.toContain(first.key);
          expect(table.stdout).not.toContain(second.key);

          const revoke = await run(['revoke-api-key', first.id]);
          expectSuccess(revoke);
          expect(revoke.stdout.trim()).toBe(`Revoked API key ${first.id}.`);
          expectOneLineFailure(await run(['revoke-api-key', first.id]), /No API key/);
          expectOneLineFailure(await run(['revoke-api-key', 'not-a-uuid']), /No API key/);
          expectOneLineFailure(
            await run(['list-api-keys', '--user', 'nobody_here']),
            /No user named "nobody_here"/,
          );
        });
        expect((await list(dave.auth)).map((k) => k.id)).toEqual([second.id]);
        await gatewayRefuses(first.key);
        await gatewayAnswers(second.key);
      },
      CLI_TEST_TIMEOUT,
    );

    it(
      'a key past its expires_at is a 401 at the gateway and leaves the list; another key of the user still answers',
      async () => {
        const erin = await newUser(app.http, 'keys_erin');
        const expiring = await newKey(erin.auth, 'expiring', { expires_in_days: 1 });
        const lasting = await newKey(erin.auth, 'lasting');
        await gatewayAnswers(expiring.key);
        await app.withCli(({ sql }) =>
          sql(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [expiring.id]),
        );
        await gatewayRefuses(expiring.key);
        await gatewayAnswers(lasting.key);
        expect((await list(erin.auth)).map((k) => k.id)).toEqual([lasting.id]);
      },
      CLI_TEST_TIMEOUT,
    );
  });
});

function withoutKey({ key: _key, ...shown }: KeyBody & { key: string }): KeyBody {
  return shown;
}
