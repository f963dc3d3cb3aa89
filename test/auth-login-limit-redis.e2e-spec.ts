import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { registerNative, STRONG_PASSWORD, uniqueUsername } from './utils/auth-helpers.js';
import { redisReachable, TEST_REDIS_URL } from './utils/redis.js';
import { startServer, startTestApp, TestApp } from './utils/test-app.js';

const LOGIN = '/api/v1/auth/login';
const REDIS_URL = TEST_REDIS_URL;

/**
 * With REDIS_URL the failure counts live in Redis, so they outlast a restart and are shared by
 * instances. A machine without Redis proves the other half: the in-memory insurance limiter keeps
 * limiting when Redis cannot be reached.
 */
describe('login limiter stored in Redis', () => {
  let t: TestApp;
  let reachable: boolean;
  const username = uniqueUsername('redis');
  const address = `10.${randomBytes(3).join('.')}`;

  beforeAll(async () => {
    reachable = await redisReachable();
    t = await startTestApp({
      REDIS_URL: reachable ? REDIS_URL : 'redis://127.0.0.1:1',
      LOGIN_MAX_FAILURES: '3',
      TRUST_PROXY: 'true', // so that each run counts under an address of its own (Redis outlives runs)
    });
    await registerNative(t.http, username);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('limits failures, and (with Redis) keeps the count across a restart', async () => {
    const wrong = { username, password: `${STRONG_PASSWORD}-${randomBytes(4).toString('hex')}` };
    for (let i = 0; i < 3; i++)
      expect((await t.http.post(LOGIN).set('X-Forwarded-For', address).send(wrong)).status).toBe(401);
    expect(
      (await t.http.post(LOGIN).set('X-Forwarded-For', address).send({ username, password: STRONG_PASSWORD }))
        .status,
    ).toBe(429);
    if (!reachable) return; // nothing outlives a restart in memory: the part above is what holds here
    const code = await t.stop();
    expect({ code, output: code === 0 ? '' : t.output().slice(-3000) }).toEqual({ code: 0, output: '' });
    const again = await startServer(t.env);
    try {
      const res = await request(again.baseUrl)
        .post(LOGIN)
        .set('X-Forwarded-For', address)
        .send({ username, password: STRONG_PASSWORD });
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await again.stop();
    }
  });
});
