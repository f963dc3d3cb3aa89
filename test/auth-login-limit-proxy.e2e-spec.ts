import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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
const MAX_FAILURES = 10;

/**
 * The default limits (10 failures per 15 min) behind a trusted proxy (TRUST_PROXY=true), so that each
 * request can come from an address of its own (X-Forwarded-For): this separates the per-account count
 * from the per-address one, which a single client address cannot do.
 */
describe('login limiter per account and per address (TRUST_PROXY, default limits)', () => {
  let t: TestApp;
  let http: TestAgent;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' });
    ({ http } = watchedAgent(t.baseUrl));
  });
  afterAll(async () => {
    await t?.close();
  });

  const login = (address: string, username: string, password: string) =>
    http.post(LOGIN).set('X-Forwarded-For', address).send({ username, password });

  it('blocks an account after 10 failures (in any letter case) even when each came from a different address', async () => {
    const carol = uniqueUsername('carol');
    const dave = uniqueUsername('dave');
    await registerNative(http, carol);
    await registerNative(http, dave);
    for (let i = 1; i <= MAX_FAILURES; i++) {
      const variant = i % 2 ? carol.toUpperCase() : carol; // one account whatever the letter case
      const res = await login(`10.1.0.${i}`, variant, OTHER_STRONG_PASSWORD);
      expect({ attempt: i, status: res.status }).toEqual({ attempt: i, status: 401 });
    }
    const blocked = await login('10.1.1.1', carol, STRONG_PASSWORD);
    expectProblem(blocked, 429);
    expect(blocked.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    // the account limit is that account's only
    expect((await login('10.1.1.2', dave, STRONG_PASSWORD)).status).toBe(200);
  });

  it("resets an account's count on a successful login (9 failures, a success, 9 more: still not 429)", async () => {
    const erin = uniqueUsername('erin');
    await registerNative(http, erin);
    for (let i = 1; i <= MAX_FAILURES - 1; i++) {
      expect((await login(`10.2.0.${i}`, erin, OTHER_STRONG_PASSWORD)).status).toBe(401);
    }
    expect((await login('10.2.1.1', erin, STRONG_PASSWORD)).status).toBe(200);
    for (let i = 1; i <= MAX_FAILURES - 1; i++) {
      const res = await login(`10.2.2.${i}`, erin, OTHER_STRONG_PASSWORD);
      expect({ attempt: i, status: res.status }).toEqual({ attempt: i, status: 401 });
    }
    // the count starts again from the success: a 10th failure is still a 401, the attempt after it is 429
    expect((await login('10.2.3.1', erin, OTHER_STRONG_PASSWORD)).status).toBe(401);
    expectProblem(await login('10.2.3.2', erin, STRONG_PASSWORD), 429);
  });

  it('blocks an address after 10 failures across different accounts, and only that address', async () => {
    const frank = uniqueUsername('frank');
    await registerNative(http, frank);
    for (let i = 1; i <= MAX_FAILURES; i++) {
      const res = await login('10.3.0.1', uniqueUsername('ghost'), STRONG_PASSWORD);
      expect({ attempt: i, status: res.status }).toEqual({ attempt: i, status: 401 });
    }
    expectProblem(await login('10.3.0.1', frank, STRONG_PASSWORD), 429);
    expect((await login('10.3.0.2', frank, STRONG_PASSWORD)).status).toBe(200);
  });
});
