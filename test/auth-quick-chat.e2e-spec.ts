import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import {
  bearer,
  expectProblem,
  expectSeedBody,
  leaksIn,
  loginNative,
  OTHER_STRONG_PASSWORD,
  SeenResponse,
  STRONG_PASSWORD,
  uniqueUsername,
  UUID,
  watchedAgent,
} from './utils/auth-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

const ACCOUNTS = '/api/v1/accounts';
const CREATED = { message: 'User created successfully.' };
const LOGGED_OUT = { message: 'Successfully logged out.' };
const NO_CREDENTIALS = { detail: 'Authentication credentials were not provided.' };

describe('quick-chat accounts: /api/v1/accounts/*', () => {
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

  const registerBody = (username: string, password = STRONG_PASSWORD) => ({
    username,
    email: `${username}@example.com`,
    password1: password,
    password2: password,
  });

  /** Registers and logs in through this family; returns the personal token. */
  async function tokenFor(username: string): Promise<string> {
    const reg = await http.post(`${ACCOUNTS}/register/`).send(registerBody(username));
    expect(reg.status).toBe(201);
    const login = await http.post(`${ACCOUNTS}/login/`).send({ username, password: STRONG_PASSWORD });
    expect(login.status).toBe(200);
    return login.body.token as string;
  }

  describe.each([
    ['with a trailing slash', '/'],
    ['without a trailing slash', ''],
  ])('%s', (_label, slash) => {
    const url = (route: string) => `${ACCOUNTS}/${route}${slash}`;

    it('register → 201 exactly {"message": "User created successfully."}', async () => {
      const res = await http.post(url('register')).send(registerBody(uniqueUsername('qc')));
      expectSeedBody(res, 201, CREATED);
    });

    it('register of a taken username (any letter case) → 400 {"username": [...already exists.]}', async () => {
      const username = uniqueUsername('QcDup');
      expect((await http.post(url('register')).send(registerBody(username))).status).toBe(201);
      for (const variant of [username, username.toLowerCase()]) {
        const res = await http.post(url('register')).send(registerBody(variant, OTHER_STRONG_PASSWORD));
        expectSeedBody(res, 400, { username: ['A user with that username already exists.'] });
      }
    });

    it('register with password1 ≠ password2 → 400 {"password": ["Passwords do not match."]}', async () => {
      const res = await http
        .post(url('register'))
        .send({ ...registerBody(uniqueUsername('qc')), password2: OTHER_STRONG_PASSWORD });
      expectSeedBody(res, 400, { password: ['Passwords do not match.'] });
    });

    it.each(['username', 'password1', 'password2'])(
      'register without %s → 400 {"<field>": ["This field is required."]}',
      async (field) => {
        const body: Record<string, unknown> = registerBody(uniqueUsername('qc'));
        delete body[field];
        const res = await http.post(url('register')).send(body);
        expectSeedBody(res, 400, { [field]: ['This field is required.'] });
      },
    );

    it.each([
      ['too short', 'vS-47ab'],
      ['all digits', '8421907365'],
      ['common', 'password123'],
    ])('register with a weak (%s) password → 400 with a `password` list, nothing created', async (_k, pw) => {
      const username = uniqueUsername('qcweak');
      const res = await http.post(url('register')).send(registerBody(username, pw));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body)).toEqual(['password']);
      expect(res.body.password.length).toBeGreaterThan(0);
      for (const message of res.body.password) expect(typeof message).toBe('string');
      expect((await http.post(url('register')).send(registerBody(username))).status).toBe(201);
    });

    it('login → 200 {token (40 hex), user_id, username, message}', async () => {
      const username = uniqueUsername('QcLogin');
      expect((await http.post(url('register')).send(registerBody(username))).status).toBe(201);
      const res = await http.post(url('login')).send({ username, password: STRONG_PASSWORD });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        token: expect.stringMatching(/^[0-9a-f]{40}$/),
        user_id: expect.stringMatching(UUID),
        username,
        message: 'User logged in successfully.',
      });
      const who = await http.get('/api/v1/auth/me').set('Authorization', `Token ${res.body.token}`);
      expect(who.status).toBe(200);
      expect(who.body).toMatchObject({ id: res.body.user_id, username, email: `${username}@example.com` });
    });

    it('login failure → 400 {"error": <string>}, the same body for an unknown user and a wrong password', async () => {
      const username = uniqueUsername('qcfail');
      expect((await http.post(url('register')).send(registerBody(username))).status).toBe(201);
      const wrong = await http.post(url('login')).send({ username, password: OTHER_STRONG_PASSWORD });
      const unknown = await http
        .post(url('login'))
        .send({ username: uniqueUsername('ghost'), password: STRONG_PASSWORD });
      expect(wrong.status).toBe(400);
      expect(wrong.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(wrong.body)).toEqual(['error']);
      expect(typeof wrong.body.error).toBe('string');
      expectSeedBody(unknown, 400, wrong.body);
    });

    it('login without a password, or with an empty one → 400 {"error": "Username and password are required."}', async () => {
      for (const body of [
        { username: uniqueUsername('qc') },
        { username: uniqueUsername('qc'), password: '' },
      ]) {
        const res = await http.post(url('login')).send(body);
        expectSeedBody(res, 400, { error: 'Username and password are required.' });
      }
    });

    it('logout with the Token → 200 {"message": "Successfully logged out."}; the token stops working at once', async () => {
      const token = await tokenFor(uniqueUsername('qcout'));
      const res = await http.post(url('logout')).set('Authorization', `Token ${token}`);
      expectSeedBody(res, 200, LOGGED_OUT);
      expectProblem(await http.get('/api/v1/auth/me').set('Authorization', `Token ${token}`), 401);
      const again = await http.post(url('logout')).set('Authorization', `Token ${token}`);
      expect(again.status).toBe(401);
      expect(again.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(again.body)).toEqual(['detail']);
    });

    it('logout without credentials → 401 exactly {"detail": "Authentication credentials were not provided."}', async () => {
      const res = await http.post(url('logout'));
      expectSeedBody(res, 401, NO_CREDENTIALS);
    });
  });

  it("register with an invalid username → 400 with Django's username message", async () => {
    const res = await http
      .post(`${ACCOUNTS}/register/`)
      .send({ ...registerBody('john smith'), email: 'john@example.com' });
    expectSeedBody(res, 400, {
      username: [
        'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
      ],
    });
  });

  it('register with an invalid email → 400 {"email": ["Enter a valid email address."]}', async () => {
    const res = await http
      .post(`${ACCOUNTS}/register/`)
      .send({ ...registerBody(uniqueUsername('qc')), email: 'not-an-email' });
    expectSeedBody(res, 400, { email: ['Enter a valid email address.'] });
  });

  it('register accepts a username with non-ASCII letters, as Django does', async () => {
    const username = uniqueUsername('Zoë');
    expectSeedBody(await http.post(`${ACCOUNTS}/register/`).send(registerBody(username)), 201, CREATED);
  });

  it('register refuses a field it does not know, naming it in the DRF shape', async () => {
    const res = await http
      .post(`${ACCOUNTS}/register/`)
      .send({ ...registerBody(uniqueUsername('qcextra')), first_name: 'Ada' });
    expectSeedBody(res, 400, { first_name: ['This field is not allowed.'] });
  });

  it("logout ends only the token used: the same user's other token keeps working", async () => {
    const username = uniqueUsername('qctwo');
    const first = await tokenFor(username);
    const second = (await http.post(`${ACCOUNTS}/login/`).send({ username, password: STRONG_PASSWORD })).body
      .token as string;
    expect(second).not.toBe(first);
    expect((await http.post(`${ACCOUNTS}/logout/`).set('Authorization', `Token ${first}`)).status).toBe(200);
    expect((await http.get('/api/v1/auth/me').set('Authorization', `Token ${second}`)).status).toBe(200);
  });

  it('answers an unknown Token with 401 {"detail": ...} in the seed shape', async () => {
    const res = await http.post(`${ACCOUNTS}/logout/`).set('Authorization', `Token ${'0'.repeat(40)}`);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ detail: expect.any(String) });
  });

  it('accepts `Bearer <jwt>` on logout too, ending that login (its refresh token stops working)', async () => {
    const username = uniqueUsername('qcjwt');
    await tokenFor(username);
    const pair = await loginNative(http, username);
    const res = await http.post(`${ACCOUNTS}/logout/`).set('Authorization', bearer(pair.access_token));
    expectSeedBody(res, 200, LOGGED_OUT);
    expectProblem(await http.post('/api/v1/auth/refresh').send({ refresh_token: pair.refresh_token }), 401);
  });

  it('never leaked a password hash, an argon2 string or a stack trace in any body above', () => {
    expect(seen.length).toBeGreaterThan(30);
    expect(leaksIn(seen)).toEqual([]);
  });
});
