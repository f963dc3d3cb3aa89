import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import {
  expectProblem,
  OTHER_STRONG_PASSWORD,
  registerNative,
  STRONG_PASSWORD,
  uniqueUsername,
  watchedAgent,
} from './utils/auth-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

const LOGIN = '/api/v1/auth/login';
const DEFAULT_MAX_FAILURES = 10;
const DEFAULT_WINDOW_SECONDS = 15 * 60;

/** Asserts a `Retry-After` of a whole, positive number of seconds within the failure window. */
function expectRetryAfter(res: Response): void {
  const header = res.headers['retry-after'];
  expect(header).toMatch(/^[1-9]\d*$/);
  expect(Number(header)).toBeLessThanOrEqual(DEFAULT_WINDOW_SECONDS);
}

/**
 * The default limiter (10 failures per 15 min, per account and per client address). Every request
 * comes from 127.0.0.1, so once one account has 10 failures the address is used up as well: the
 * tests below run in order and rely on that.
 */
describe('login limiter with the default limits', () => {
  let t: TestApp;
  let http: TestAgent;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await startTestApp();
    ({ http } = watchedAgent(t.baseUrl));
    alice = uniqueUsername('alice');
    bob = uniqueUsername('bob');
    await registerNative(http, alice);
    await registerNative(http, bob);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers each of the first 10 failed logins of an account with a plain 401', async () => {
    for (let i = 1; i <= DEFAULT_MAX_FAILURES; i++) {
      const res = await http.post(LOGIN).send({ username: alice, password: `${OTHER_STRONG_PASSWORD}${i}` });
      expect({ attempt: i, status: res.status }).toEqual({ attempt: i, status: 401 });
    }
  });

  it('refuses the 11th attempt, even with the right password, with 429 problem+json and Retry-After', async () => {
    const res = await http.post(LOGIN).send({ username: alice, password: STRONG_PASSWORD });
    expectProblem(res, 429);
    expectRetryAfter(res);
    expect(res.text).not.toContain('access_token');
  });

  it('blocks another account from the same address once the address has 10 failures', async () => {
    const res = await http.post(LOGIN).send({ username: bob, password: STRONG_PASSWORD });
    expectProblem(res, 429);
    expectRetryAfter(res);
  });

  it('does not let X-Forwarded-For escape the address limit when proxies are not trusted', async () => {
    const res = await http
      .post(LOGIN)
      .set('X-Forwarded-For', '203.0.113.77')
      .send({ username: bob, password: STRONG_PASSWORD });
    expectProblem(res, 429);
  });

  it('answers an unknown user the same 429 (no account enumeration)', async () => {
    const res = await http.post(LOGIN).send({ username: uniqueUsername('ghost'), password: STRONG_PASSWORD });
    expectProblem(res, 429);
    expectRetryAfter(res);
  });

  it.each(['/login/', '/api/login/', '/api/token/', '/api/v1/accounts/login/'])(
    'answers the seed route %s with a DRF-style 429 {"detail": ...} and Retry-After',
    async (path) => {
      const res = await http.post(path).send({ username: bob, password: STRONG_PASSWORD });
      expect(res.status).toBe(429);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ detail: expect.any(String) });
      expectRetryAfter(res);
    },
  );
});
