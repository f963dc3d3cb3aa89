import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import {
  algNoneToken,
  bearer,
  expectFieldProblem,
  expectProblem,
  leaksIn,
  loginNative,
  NativeTokenPair,
  NativeUser,
  OTHER_STRONG_PASSWORD,
  payloadOf,
  randomSecret,
  registerNative,
  SeenResponse,
  signClaims,
  STRONG_PASSWORD,
  uniqueUsername,
  UUID,
  watchedAgent,
} from './utils/auth-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

const AUTH = '/api/v1/auth';

describe('native auth: /api/v1/auth/*', () => {
  const secret = randomSecret();
  let t: TestApp;
  let http: TestAgent;
  let seen: SeenResponse[];

  beforeAll(async () => {
    // A known key (to forge near-valid tokens) and a high limit: this suite makes some failed logins on purpose.
    t = await startTestApp({ JWT_SECRET: secret, LOGIN_MAX_FAILURES: '1000' });
    ({ http, seen } = watchedAgent(t.baseUrl));
  });
  afterAll(async () => {
    await t?.close();
  });

  const me = (authorization?: string) => {
    const req = http.get(`${AUTH}/me`);
    return authorization === undefined ? req : req.set('Authorization', authorization);
  };
  const refresh = (refreshToken: string) =>
    http.post(`${AUTH}/refresh`).send({ refresh_token: refreshToken });

  describe('POST /register', () => {
    it('creates a user: 201 {id, username, email, role: "user", created_at}, no password anywhere', async () => {
      const username = uniqueUsername('Reg');
      const before = Date.now();
      const res = await http
        .post(`${AUTH}/register`)
        .send({ username, password: STRONG_PASSWORD, email: 'reg@example.com' });
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(['created_at', 'email', 'id', 'role', 'username']);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        username,
        email: 'reg@example.com',
        role: 'user',
        created_at: expect.any(String),
      });
      const created = Date.parse(res.body.created_at);
      expect(res.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(created).toBeGreaterThanOrEqual(before - 5_000);
      expect(created).toBeLessThanOrEqual(Date.now() + 5_000);
      expect(res.text).not.toMatch(/password|argon/i);
      expect(res.text).not.toContain(STRONG_PASSWORD);
    });

    it('makes the email optional (null when not given)', async () => {
      const user = await registerNative(http, uniqueUsername('noemail'));
      expect(user.email).toBeNull();
      expect(user.role).toBe('user');
    });

    it('refuses a username taken in another letter case with a 409 problem', async () => {
      const username = uniqueUsername('Dup');
      await registerNative(http, username);
      for (const variant of [username, username.toUpperCase(), username.toLowerCase()]) {
        const res = await http
          .post(`${AUTH}/register`)
          .send({ username: variant, password: OTHER_STRONG_PASSWORD });
        expectProblem(res, 409);
      }
    });

    it('cannot be used to grant oneself a role: `role` is an unknown field (400), nothing is created', async () => {
      const username = uniqueUsername('sneaky');
      const res = await http
        .post(`${AUTH}/register`)
        .send({ username, password: STRONG_PASSWORD, role: 'admin' });
      expectFieldProblem(res, 'role');
      const user = await registerNative(http, username);
      expect(user.role).toBe('user');
    });

    const valid = () => ({ username: uniqueUsername('val'), password: STRONG_PASSWORD });
    const invalid: [string, string, () => Record<string, unknown>][] = [
      ['missing username', 'username', () => ({ password: STRONG_PASSWORD })],
      ['missing password', 'password', () => ({ username: uniqueUsername('val') })],
      ['empty username', 'username', () => ({ ...valid(), username: '' })],
      ['a number as username', 'username', () => ({ ...valid(), username: 12345 })],
      ['a number as password', 'password', () => ({ ...valid(), password: 84_219_073_651 })],
      ['null as username', 'username', () => ({ ...valid(), username: null })],
      ['an unknown field', 'nickname', () => ({ ...valid(), nickname: 'nick' })],
      ['a username over 150 chars', 'username', () => ({ ...valid(), username: 'u'.repeat(151) })],
      ['a username with a space', 'username', () => ({ ...valid(), username: 'john smith' })],
      ['a username with a slash', 'username', () => ({ ...valid(), username: 'john/smith' })],
      ['an invalid email', 'email', () => ({ ...valid(), email: 'not-an-email' })],
      ['a too-short password', 'password', () => ({ ...valid(), password: 'vS-47ab' })],
      ['an all-digit password', 'password', () => ({ ...valid(), password: '8421907365' })],
      ['a common password', 'password', () => ({ ...valid(), password: 'password123' })],
      ['a password over 128 chars', 'password', () => ({ ...valid(), password: 'Vs-47'.repeat(26) })],
      [
        'a password similar to the username',
        'password',
        () => ({ username: `marigold_fields${String(Date.now()).slice(-3)}`, password: 'Marigold_Field5' }),
      ],
    ];

    it.each(invalid)('rejects %s with a 400 problem naming `%s`', async (_case, field, body) => {
      const sent = body();
      const res = await http.post(`${AUTH}/register`).send(sent);
      expectFieldProblem(res, field);
      // nothing was created: a valid registration of the same name (when there was one) still succeeds
      if (typeof sent.username === 'string' && /^[\w.@+-]{1,150}$/.test(sent.username)) {
        const retry = await http
          .post(`${AUTH}/register`)
          .send({ username: sent.username, password: OTHER_STRONG_PASSWORD });
        expect(retry.status).toBe(201);
      }
    });

    it('accepts usernames with non-ASCII letters ("letters" as in Django\'s username rule)', async () => {
      for (const username of [uniqueUsername('josé'), uniqueUsername('Zoë'), uniqueUsername('Дмитрий')]) {
        const res = await http.post(`${AUTH}/register`).send({ username, password: STRONG_PASSWORD });
        expect({ username, status: res.status }).toEqual({ username, status: 201 });
        expect(res.body.username).toBe(username);
      }
    });

    it('registers only one of several concurrent registrations of the same name: the rest 409, none 500', async () => {
      const username = uniqueUsername('Race');
      const variants = [
        username,
        username.toUpperCase(),
        username.toLowerCase(),
        username,
        username.toUpperCase(),
      ];
      const results = await Promise.all(
        variants.map((name) =>
          http.post(`${AUTH}/register`).send({ username: name, password: STRONG_PASSWORD }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      for (const res of results.filter((r) => r.status === 409)) expectProblem(res, 409);
    });

    it('explains a missing field as missing, not with an unrelated format or length rule', async () => {
      const noUsername = await http.post(`${AUTH}/register`).send({ password: STRONG_PASSWORD });
      const noPassword = await http.post(`${AUTH}/register`).send({ username: uniqueUsername('msg') });
      const messages = [
        ...noUsername.body.errors.filter((e: { field: string }) => e.field === 'username'),
        ...noPassword.body.errors.filter((e: { field: string }) => e.field === 'password'),
      ].map((e: { message: string }) => e.message);
      expect(messages).toHaveLength(2);
      for (const message of messages) {
        expect(message).toMatch(/required|missing|must be a string|should not be (empty|null)/i);
      }
    });

    it('accepts the boundaries: a 150-char username of @.+-_ characters and a 128-char password', async () => {
      const username = `a.b+c-d@e_${uniqueUsername('x')}`.padEnd(150, 'z');
      const password = 'Vq-8'.repeat(32);
      expect(username).toHaveLength(150);
      expect(password).toHaveLength(128);
      const user = await registerNative(http, username, password);
      expect(user.username).toBe(username);
      await loginNative(http, username, password);
    });
  });

  describe('POST /login', () => {
    let user: NativeUser;
    beforeAll(async () => {
      user = await registerNative(http, uniqueUsername('Login'), STRONG_PASSWORD, 'login@example.com');
    });

    it('answers 200 with a token pair {access_token, refresh_token, token_type, expires_in, user}', async () => {
      const res = await http
        .post(`${AUTH}/login`)
        .send({ username: user.username, password: STRONG_PASSWORD });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual([
        'access_token',
        'expires_in',
        'refresh_token',
        'token_type',
        'user',
      ]);
      const pair = res.body as NativeTokenPair;
      expect(pair.token_type).toBe('Bearer');
      expect(pair.user).toEqual(user);
      expect(pair.access_token.split('.')).toHaveLength(3);
      expect(typeof pair.refresh_token).toBe('string');
      expect(pair.refresh_token.length).toBeGreaterThanOrEqual(32);
      expect(pair.refresh_token).not.toBe(pair.access_token);
      // default JWT_ACCESS_TTL is 15m, and expires_in is what the token itself says
      expect(pair.expires_in).toBe(900);
      const claims = payloadOf(pair.access_token);
      expect(claims.sub).toBe(user.id);
      expect(Number(claims.exp) - Number(claims.iat)).toBe(pair.expires_in);
      expect(res.text).not.toMatch(/password|argon/i);
    });

    it('matches the username case-insensitively', async () => {
      const pair = await loginNative(http, user.username.toUpperCase());
      expect(pair.user.id).toBe(user.id);
      expect(pair.user.username).toBe(user.username);
    });

    it('gives every login its own refresh token', async () => {
      const a = await loginNative(http, user.username);
      const b = await loginNative(http, user.username);
      expect(a.refresh_token).not.toBe(b.refresh_token);
    });

    it('fails with the same 401 problem for an unknown user and for a wrong password', async () => {
      const unknown = await http
        .post(`${AUTH}/login`)
        .send({ username: uniqueUsername('ghost'), password: STRONG_PASSWORD });
      const wrong = await http
        .post(`${AUTH}/login`)
        .send({ username: user.username, password: OTHER_STRONG_PASSWORD });
      expectProblem(unknown, 401);
      expectProblem(wrong, 401);
      const { request_id: _a, ...unknownBody } = unknown.body;
      const { request_id: _b, ...wrongBody } = wrong.body;
      expect(wrongBody).toEqual(unknownBody);
      expect(unknown.text).not.toContain('access_token');
    });

    it('sends WWW-Authenticate with the 401 of a failed login, refresh or verify, as with every native 401', async () => {
      const failures = {
        login: await http
          .post(`${AUTH}/login`)
          .send({ username: user.username, password: OTHER_STRONG_PASSWORD }),
        refresh: await refresh('A'.repeat(43)),
        verify: await http.post(`${AUTH}/verify`).send({ token: 'garbage' }),
        me: await http.get(`${AUTH}/me`),
      };
      for (const [route, res] of Object.entries(failures)) {
        expectProblem(res, 401);
        expect({ route, header: res.headers['www-authenticate'] }).toEqual({
          route,
          header: 'Bearer realm="api"',
        });
      }
    });

    it('rejects a login without a password as a 400 problem (not a 401)', async () => {
      expectFieldProblem(await http.post(`${AUTH}/login`).send({ username: user.username }), 'password');
      expectFieldProblem(await http.post(`${AUTH}/login`).send({ password: STRONG_PASSWORD }), 'username');
    });
  });

  describe('GET /me and bearer token checks', () => {
    let user: NativeUser;
    let pair: NativeTokenPair;
    beforeAll(async () => {
      user = await registerNative(http, uniqueUsername('Me'));
      pair = await loginNative(http, user.username);
    });

    it('returns the caller for a valid access token', async () => {
      const res = await me(bearer(pair.access_token));
      expect(res.status).toBe(200);
      expect(res.body).toEqual(user);
    });

    it('accepts a token re-signed with the server key (control for the forgery tests below)', async () => {
      const resigned = signClaims(payloadOf(pair.access_token), secret);
      expect((await me(bearer(resigned))).status).toBe(200);
    });

    it('answers 401 problem+json without an Authorization header', async () => {
      expectProblem(await me(), 401);
    });

    const forged: [string, () => string][] = [
      ['garbage', () => bearer('not-a-jwt')],
      ['three garbage segments', () => bearer('aaa.bbb.ccc')],
      ['an empty bearer', () => 'Bearer '],
      [
        'another scheme',
        () => `Basic ${Buffer.from(`${user.username}:${STRONG_PASSWORD}`).toString('base64')}`,
      ],
      [
        'a token signed with another key',
        () => bearer(signClaims(payloadOf(pair.access_token), randomSecret())),
      ],
      ['an alg:none token', () => bearer(algNoneToken(pair.access_token))],
      ['the refresh token', () => bearer(pair.refresh_token)],
      ['the access token with its signature cut off', () => bearer(pair.access_token.replace(/[^.]+$/, ''))],
      [
        'a server-key token with token_type refresh',
        () => bearer(signClaims({ ...payloadOf(pair.access_token), token_type: 'refresh' }, secret)),
      ],
      [
        'a server-key token with another audience',
        () => bearer(signClaims({ ...payloadOf(pair.access_token), aud: 'someone-else' }, secret)),
      ],
      [
        'a server-key token with another issuer',
        () => bearer(signClaims({ ...payloadOf(pair.access_token), iss: 'evil' }, secret)),
      ],
      [
        'a server-key token signed HS512',
        () => bearer(signClaims(payloadOf(pair.access_token), secret, 'HS512')),
      ],
      [
        'a server-key token that has expired',
        () => {
          const now = Math.floor(Date.now() / 1000);
          return bearer(
            signClaims({ ...payloadOf(pair.access_token), iat: now - 120, exp: now - 60 }, secret),
          );
        },
      ],
      [
        'a server-key token with an unknown role',
        () => bearer(signClaims({ ...payloadOf(pair.access_token), role: 'superuser' }, secret)),
      ],
    ];

    it.each(forged)('answers 401 problem+json for %s', async (_case, authorization) => {
      expectProblem(await me(authorization()), 401);
    });
  });

  describe('POST /refresh', () => {
    let user: NativeUser;
    beforeAll(async () => {
      user = await registerNative(http, uniqueUsername('Refresh'));
    });

    it('rotates: a new pair whose access token works; the old refresh token is then refused', async () => {
      const first = await loginNative(http, user.username);
      const res = await refresh(first.refresh_token);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual([
        'access_token',
        'expires_in',
        'refresh_token',
        'token_type',
        'user',
      ]);
      const next = res.body as NativeTokenPair;
      expect(next.token_type).toBe('Bearer');
      expect(next.user).toEqual(user);
      expect(next.refresh_token).not.toBe(first.refresh_token);
      expect(payloadOf(next.access_token).sub).toBe(user.id);
      const who = await me(bearer(next.access_token));
      expect(who.status).toBe(200);
      expect(who.body.id).toBe(user.id);
      expectProblem(await refresh(first.refresh_token), 401);
    });

    it('makes every refresh token single-use along a chain', async () => {
      const login = await loginNative(http, user.username);
      const r1 = await refresh(login.refresh_token);
      expect(r1.status).toBe(200);
      const r2 = await refresh(r1.body.refresh_token);
      expect(r2.status).toBe(200);
      const r3 = await refresh(r2.body.refresh_token);
      expect(r3.status).toBe(200);
      expect(
        new Set([login.refresh_token, r1.body.refresh_token, r2.body.refresh_token, r3.body.refresh_token])
          .size,
      ).toBe(4);
    });

    it('revokes the whole family when an already-rotated token is presented (the newest stops working too)', async () => {
      const login = await loginNative(http, user.username);
      const other = await loginNative(http, user.username); // another login of the same user
      const rotated = await refresh(login.refresh_token);
      expect(rotated.status).toBe(200);
      const newest: string = rotated.body.refresh_token;
      expectProblem(await refresh(login.refresh_token), 401); // reuse
      expectProblem(await refresh(newest), 401); // the family is gone
      // another family of the same user is untouched
      expect((await refresh(other.refresh_token)).status).toBe(200);
    });

    it('lets only one of several concurrent refreshes with the same token win; that is reuse, so the family ends', async () => {
      const login = await loginNative(http, user.username);
      const results = await Promise.all([1, 2, 3].map(() => refresh(login.refresh_token)));
      expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
      const winner = results.find((r) => r.status === 200);
      expectProblem(await refresh(winner?.body.refresh_token as string), 401);
    });

    it('never accepts an access token as a refresh token', async () => {
      const login = await loginNative(http, user.username);
      const res = await refresh(login.access_token);
      expect([400, 401]).toContain(res.status);
      expectProblem(res, res.status);
      // and the login's real refresh token was not disturbed by the attempt
      expect((await refresh(login.refresh_token)).status).toBe(200);
    });

    it('answers 401 for an unknown refresh token and 400 naming the field when it is missing', async () => {
      expectProblem(await refresh('A'.repeat(43)), 401);
      expectFieldProblem(await http.post(`${AUTH}/refresh`).send({}), 'refresh_token');
      expectFieldProblem(await http.post(`${AUTH}/refresh`).send({ refresh_token: 42 }), 'refresh_token');
    });
  });

  describe('POST /verify', () => {
    let pair: NativeTokenPair;
    beforeAll(async () => {
      const user = await registerNative(http, uniqueUsername('Verify'));
      pair = await loginNative(http, user.username);
    });

    it('answers 200 {} for a valid access token', async () => {
      const res = await http.post(`${AUTH}/verify`).send({ token: pair.access_token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
    });

    it.each([
      ['the refresh token', () => pair.refresh_token],
      ['garbage', () => 'garbage'],
      ['an alg:none token', () => algNoneToken(pair.access_token)],
      ['a token signed with another key', () => signClaims(payloadOf(pair.access_token), randomSecret())],
      [
        'a server-key token with token_type refresh',
        () => signClaims({ ...payloadOf(pair.access_token), token_type: 'refresh' }, secret),
      ],
    ])('answers 401 problem+json for %s', async (_case, token) => {
      expectProblem(await http.post(`${AUTH}/verify`).send({ token: token() }), 401);
    });

    it('answers 400 naming `token` when it is missing', async () => {
      expectFieldProblem(await http.post(`${AUTH}/verify`).send({}), 'token');
    });
  });

  describe('POST /logout', () => {
    let user: NativeUser;
    beforeAll(async () => {
      user = await registerNative(http, uniqueUsername('Logout'));
    });

    it("answers 204 and ends that login's refresh family, not the user's other logins", async () => {
      const a = await loginNative(http, user.username);
      const b = await loginNative(http, user.username);
      const res = await http.post(`${AUTH}/logout`).set('Authorization', bearer(a.access_token)).send({});
      expect(res.status).toBe(204);
      expect(res.text ?? '').toBe('');
      expectProblem(await refresh(a.refresh_token), 401);
      const stillIn = await refresh(b.refresh_token);
      expect(stillIn.status).toBe(200);
      expect((await me(bearer(stillIn.body.access_token))).status).toBe(200);
    });

    it('ends the family of a rotated login too (the access token came from a refresh)', async () => {
      const login = await loginNative(http, user.username);
      const rotated = await refresh(login.refresh_token);
      expect(rotated.status).toBe(200);
      const res = await http.post(`${AUTH}/logout`).set('Authorization', bearer(rotated.body.access_token));
      expect(res.status).toBe(204);
      expectProblem(await refresh(rotated.body.refresh_token), 401);
    });

    it('also revokes the refresh token named in the body', async () => {
      const a = await loginNative(http, user.username);
      const c = await loginNative(http, user.username);
      const res = await http
        .post(`${AUTH}/logout`)
        .set('Authorization', bearer(a.access_token))
        .send({ refresh_token: c.refresh_token });
      expect(res.status).toBe(204);
      expectProblem(await refresh(c.refresh_token), 401);
    });

    it("cannot revoke another user's login by naming its refresh token", async () => {
      const victim = await registerNative(http, uniqueUsername('victim'));
      const victimLogin = await loginNative(http, victim.username);
      const attacker = await loginNative(http, user.username);
      const res = await http
        .post(`${AUTH}/logout`)
        .set('Authorization', bearer(attacker.access_token))
        .send({ refresh_token: victimLogin.refresh_token });
      expect(res.status).toBe(204);
      expect((await refresh(victimLogin.refresh_token)).status).toBe(200);
    });

    it('answers 401 problem+json without credentials', async () => {
      expectProblem(await http.post(`${AUTH}/logout`).send({}), 401);
    });
  });

  it('never leaked a password hash, an argon2 string or a stack trace in any body above', () => {
    expect(seen.length).toBeGreaterThan(50);
    expect(leaksIn(seen)).toEqual([]);
  });
});
