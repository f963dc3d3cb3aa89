import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import {
  algNoneToken,
  bearer,
  expectSeedBody,
  leaksIn,
  OTHER_STRONG_PASSWORD,
  payloadOf,
  SeenResponse,
  STRONG_PASSWORD,
  uniqueUsername,
  UUID,
  watchedAgent,
} from './utils/auth-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

const TOKEN_NOT_VALID = { detail: 'Token is invalid or expired', code: 'token_not_valid' };
const REQUIRED = ['This field is required.'];

interface SimplePair {
  refresh: string;
  access: string;
}

describe('sessions-seed accounts: /register/, /login/, /api/token/*', () => {
  let t: TestApp;
  let http: TestAgent;
  let seen: SeenResponse[];

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    ({ http, seen } = watchedAgent(t.baseUrl));
  });
  afterAll(async () => {
    await t?.close();
  });

  async function register(username: string, path = '/register/'): Promise<void> {
    const res = await http
      .post(path)
      .send({ username, email: `${username}@example.com`, password: STRONG_PASSWORD });
    expect(res.status).toBe(201);
  }

  async function obtain(username: string, path = '/api/token/'): Promise<SimplePair> {
    const res = await http.post(path).send({ username, password: STRONG_PASSWORD });
    expect(res.status).toBe(200);
    return res.body as SimplePair;
  }

  const refresh = (token: string) => http.post('/api/token/refresh/').send({ refresh: token });
  const verify = (token: string) => http.post('/api/token/verify/').send({ token });

  describe('register', () => {
    it.each(['/register/', '/api/register/', '/register', '/api/register'])(
      'POST %s → 201 exactly {username, email}',
      async (path) => {
        const username = uniqueUsername('Seed');
        const res = await http
          .post(path)
          .send({ username, email: `${username}@example.com`, password: STRONG_PASSWORD });
        expectSeedBody(res, 201, { username, email: `${username}@example.com` });
      },
    );

    it('without an email → 201 with email "" (Django blank email)', async () => {
      const username = uniqueUsername('seednomail');
      const res = await http.post('/register/').send({ username, password: STRONG_PASSWORD });
      expectSeedBody(res, 201, { username, email: '' });
    });

    it('of a taken username (any letter case) → 400 {"username": [<message>]}', async () => {
      const username = uniqueUsername('SeedDup');
      await register(username);
      for (const [path, variant] of [
        ['/register/', username],
        ['/api/register/', username.toUpperCase()],
      ]) {
        const res = await http
          .post(path)
          .send({ username: variant, email: 'x@example.com', password: OTHER_STRONG_PASSWORD });
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toEqual({ username: [expect.any(String)] });
      }
    });

    it.each(['username', 'password'])(
      'without %s → 400 {"<field>": ["This field is required."]}',
      async (field) => {
        const body: Record<string, unknown> = {
          username: uniqueUsername('seed'),
          email: 'x@example.com',
          password: STRONG_PASSWORD,
        };
        delete body[field];
        expectSeedBody(await http.post('/register/').send(body), 400, { [field]: REQUIRED });
      },
    );

    it('with a weak password → 400 {"password": [...]}', async () => {
      const res = await http
        .post('/register/')
        .send({ username: uniqueUsername('seedweak'), email: 'x@example.com', password: 'password123' });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ password: expect.arrayContaining([expect.any(String)]) });
    });

    it('accepts a username with non-ASCII letters, as Django does', async () => {
      const username = uniqueUsername('josé');
      const res = await http.post('/register/').send({ username, email: '', password: STRONG_PASSWORD });
      expectSeedBody(res, 201, { username, email: '' });
    });

    it('refuses a field it does not know, naming it in the DRF shape', async () => {
      const username = uniqueUsername('seedextra');
      const res = await http
        .post('/register/')
        .send({ username, email: '', password: STRONG_PASSWORD, first_name: 'Ada' });
      expectSeedBody(res, 400, { first_name: ['This field is not allowed.'] });
    });

    it('with an invalid email → 400 {"email": ["Enter a valid email address."]}', async () => {
      const res = await http
        .post('/register/')
        .send({ username: uniqueUsername('seed'), email: 'not-an-email', password: STRONG_PASSWORD });
      expectSeedBody(res, 400, { email: ['Enter a valid email address.'] });
    });
  });

  describe('login', () => {
    let username: string;
    beforeAll(async () => {
      username = uniqueUsername('SeedLogin');
      await register(username);
    });

    it.each(['/login/', '/api/login/', '/login'])('POST %s → 200 exactly {refresh, access}', async (path) => {
      const res = await http.post(path).send({ username, password: STRONG_PASSWORD });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(['access', 'refresh']);
      expect(res.body.access.split('.')).toHaveLength(3);
      expect(typeof res.body.refresh).toBe('string');
      expect(res.body.refresh).not.toBe(res.body.access);
    });

    it.each(['/login/', '/api/login/'])(
      'POST %s failure → 401 exactly {"error": "Invalid credentials"} for a wrong password and an unknown user',
      async (path) => {
        const wrong = await http.post(path).send({ username, password: OTHER_STRONG_PASSWORD });
        const unknown = await http
          .post(path)
          .send({ username: uniqueUsername('ghost'), password: STRONG_PASSWORD });
        expectSeedBody(wrong, 401, { error: 'Invalid credentials' });
        expectSeedBody(unknown, 401, { error: 'Invalid credentials' });
      },
    );

    it('POST /login/ without a password → 400 {"password": ["This field is required."]}', async () => {
      expectSeedBody(await http.post('/login/').send({ username }), 400, { password: REQUIRED });
    });

    it.each(['/api/token/', '/api/token'])('POST %s → 200 exactly {refresh, access}', async (path) => {
      const res = await http.post(path).send({ username: username.toUpperCase(), password: STRONG_PASSWORD });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['access', 'refresh']);
    });

    it('POST /api/token/ failure → 401 exactly {"detail": "No active account found with the given credentials"}', async () => {
      const body = { detail: 'No active account found with the given credentials' };
      expectSeedBody(
        await http.post('/api/token/').send({ username, password: OTHER_STRONG_PASSWORD }),
        401,
        body,
      );
      expectSeedBody(
        await http.post('/api/token/').send({ username: uniqueUsername('ghost'), password: STRONG_PASSWORD }),
        401,
        body,
      );
    });

    it('POST /api/token/ with missing fields → 400 in the DRF shape', async () => {
      expectSeedBody(await http.post('/api/token/').send({}), 400, {
        username: REQUIRED,
        password: REQUIRED,
      });
    });

    it('the access token works as Bearer on GET /api/v1/auth/me', async () => {
      for (const pair of [await obtain(username), await obtain(username, '/login/')]) {
        const res = await http.get('/api/v1/auth/me').set('Authorization', bearer(pair.access));
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ username, email: `${username}@example.com` });
      }
    });
  });

  describe('/api/token/refresh/ and /api/token/verify/', () => {
    let username: string;
    beforeAll(async () => {
      username = uniqueUsername('SeedTok');
      await register(username, '/api/register/');
    });

    it('refresh → 200 exactly {access, refresh}, rotated; the old refresh token → 401 token_not_valid', async () => {
      const first = await obtain(username);
      const res = await refresh(first.refresh);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['access', 'refresh']);
      expect(res.body.refresh).not.toBe(first.refresh);
      expect((await http.get('/api/v1/auth/me').set('Authorization', bearer(res.body.access))).status).toBe(
        200,
      );
      expectSeedBody(await refresh(first.refresh), 401, TOKEN_NOT_VALID);
    });

    it('the rotated refresh token works once more along the chain', async () => {
      const first = await obtain(username, '/login/');
      const second = await refresh(first.refresh);
      expect(second.status).toBe(200);
      const third = await refresh(second.body.refresh);
      expect(third.status).toBe(200);
      expectSeedBody(await refresh(second.body.refresh), 401, TOKEN_NOT_VALID);
    });

    it('reuse of a rotated refresh token revokes the family (the newest one too), not other logins', async () => {
      const login = await obtain(username);
      const other = await obtain(username);
      const rotated = await refresh(login.refresh);
      expect(rotated.status).toBe(200);
      expectSeedBody(await refresh(login.refresh), 401, TOKEN_NOT_VALID);
      expectSeedBody(await refresh(rotated.body.refresh), 401, TOKEN_NOT_VALID);
      expect((await refresh(other.refresh)).status).toBe(200);
    });

    it('refresh with an access token or garbage → 401 token_not_valid', async () => {
      const pair = await obtain(username);
      expectSeedBody(await refresh(pair.access), 401, TOKEN_NOT_VALID);
      expectSeedBody(await refresh('garbage'), 401, TOKEN_NOT_VALID);
    });

    it('refresh with the access token of a user with a long (150-char) username → 401 token_not_valid', async () => {
      const longName = uniqueUsername('long').padEnd(150, 'n');
      const reg = await http
        .post('/register/')
        .send({ username: longName, email: '', password: STRONG_PASSWORD });
      expect(reg.status).toBe(201);
      const pair = await obtain(longName);
      expectSeedBody(await refresh(pair.access), 401, TOKEN_NOT_VALID);
    });

    it('refresh without `refresh` → 400 {"refresh": ["This field is required."]}', async () => {
      expectSeedBody(await http.post('/api/token/refresh/').send({}), 400, { refresh: REQUIRED });
    });

    it('verify an access token → 200 {}', async () => {
      const pair = await obtain(username);
      expectSeedBody(await verify(pair.access), 200, {});
      const rotated = await refresh(pair.refresh);
      expectSeedBody(await verify(rotated.body.access), 200, {});
    });

    it('verify a refresh token, garbage or an alg:none token → 401 exactly token_not_valid', async () => {
      const pair = await obtain(username);
      expectSeedBody(await verify(pair.refresh), 401, TOKEN_NOT_VALID);
      expectSeedBody(await verify('garbage'), 401, TOKEN_NOT_VALID);
      expectSeedBody(await verify(algNoneToken(pair.access)), 401, TOKEN_NOT_VALID);
    });

    it('verify without `token` → 400 {"token": ["This field is required."]}', async () => {
      expectSeedBody(await http.post('/api/token/verify/').send({}), 400, { token: REQUIRED });
    });
  });

  describe('SimpleJWT claims in the access tokens', () => {
    it('/login/, /api/token/ and /api/token/refresh/ issue user_id, a unique jti and token_type "access", beside our claims', async () => {
      const username = uniqueUsername('SeedClaims');
      await register(username);
      const login = await obtain(username, '/login/');
      const obtained = await obtain(username);
      const refreshed = await refresh(obtained.refresh);
      expect(refreshed.status).toBe(200);
      const me = await http.get('/api/v1/auth/me').set('Authorization', bearer(login.access));
      expect(me.status).toBe(200);
      const userId = (me.body as { id: string }).id;

      const claims = [login.access, obtained.access, (refreshed.body as SimplePair).access].map(payloadOf);
      for (const claim of claims) {
        expect(claim).toMatchObject({ user_id: userId, sub: userId, token_type: 'access', name: username });
        expect(claim.jti).toMatch(UUID);
        expect(Object.keys(claim).sort()).toEqual(
          [
            'aud',
            'exp',
            'fid',
            'iat',
            'iss',
            'jti',
            'name',
            'role',
            'sub',
            'token_type',
            'user_id',
            'ver',
          ].sort(),
        );
        expect(Number(claim.exp) - Number(claim.iat)).toBe(900);
      }
      expect(new Set(claims.map((claim) => claim.jti)).size).toBe(claims.length);
      // the refresh token stays opaque (revocable, stored hashed): not a JWT to decode
      expect(obtained.refresh.split('.')).toHaveLength(1);
    });
  });

  it('never leaked a password hash, an argon2 string or a stack trace in any body above', () => {
    expect(seen.length).toBeGreaterThan(30);
    expect(leaksIn(seen)).toEqual([]);
  });
});
