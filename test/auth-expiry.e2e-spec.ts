import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import {
  bearer,
  expectProblem,
  expectSeedBody,
  loginNative,
  NativeTokenPair,
  payloadOf,
  registerNative,
  sleep,
  STRONG_PASSWORD,
  uniqueUsername,
  watchedAgent,
} from './utils/auth-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

/**
 * JWT `exp` has one-second resolution (iat is floored), so a 1 s lifetime leaves a token between 0 and
 * 1000 ms of validity depending on where in the second it was issued. 2 s guarantees at least a full
 * second to use it, and it is certainly expired 2.2 s after it was issued.
 */
const ACCESS_TTL_SECONDS = 2;
const PAST_EXPIRY_MS = ACCESS_TTL_SECONDS * 1000 + 250;

describe('access-token expiry (JWT_ACCESS_TTL=2s)', () => {
  let t: TestApp;
  let http: TestAgent;
  let username: string;

  beforeAll(async () => {
    t = await startTestApp({ JWT_ACCESS_TTL: `${ACCESS_TTL_SECONDS}s` });
    ({ http } = watchedAgent(t.baseUrl));
    username = uniqueUsername('Expiry');
    await registerNative(http, username);
  });
  afterAll(async () => {
    await t?.close();
  });

  const me = (token: string) => http.get('/api/v1/auth/me').set('Authorization', bearer(token));
  const verify = (token: string) => http.post('/api/v1/auth/verify').send({ token });

  it('an access token works, then is refused everywhere once it has expired; the refresh token still works', async () => {
    const pair: NativeTokenPair = await loginNative(http, username);
    const issuedAt = Date.now();
    expect(pair.expires_in).toBe(ACCESS_TTL_SECONDS);
    const claims = payloadOf(pair.access_token);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(ACCESS_TTL_SECONDS);

    expect((await me(pair.access_token)).status).toBe(200);
    expect((await verify(pair.access_token)).status).toBe(200);
    expect(Date.now() - issuedAt).toBeLessThan(1000); // still inside the guaranteed window

    await sleep(PAST_EXPIRY_MS - (Date.now() - issuedAt));

    expectProblem(await me(pair.access_token), 401);
    expectProblem(await verify(pair.access_token), 401);
    expectSeedBody(await http.post('/api/token/verify/').send({ token: pair.access_token }), 401, {
      detail: 'Token is invalid or expired',
      code: 'token_not_valid',
    });
    expectProblem(
      await http.post('/api/v1/auth/logout').set('Authorization', bearer(pair.access_token)).send({}),
      401,
    );

    // the (long-lived) refresh token of that login yields a fresh, working access token
    const res = await http.post('/api/v1/auth/refresh').send({ refresh_token: pair.refresh_token });
    expect(res.status).toBe(200);
    expect(res.body.expires_in).toBe(ACCESS_TTL_SECONDS);
    const who = await me(res.body.access_token);
    expect(who.status).toBe(200);
    expect(who.body.username).toBe(username);
    expect((await verify(res.body.access_token)).status).toBe(200);
  });

  it('a seed (SimpleJWT) refresh after expiry also yields a working access token', async () => {
    const pair = (await http.post('/api/token/').send({ username, password: STRONG_PASSWORD })).body as {
      access: string;
      refresh: string;
    };
    await sleep(PAST_EXPIRY_MS);
    expect((await me(pair.access)).status).toBe(401);
    const res = await http.post('/api/token/refresh/').send({ refresh: pair.refresh });
    expect(res.status).toBe(200);
    expect((await me(res.body.access)).status).toBe(200);
  });
});
