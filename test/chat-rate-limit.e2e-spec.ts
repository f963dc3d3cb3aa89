import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { randomSecret, uniqueUsername } from './utils/auth-helpers.js';
import {
  type ChatUser,
  createSession,
  expectProblem,
  messagesUrl,
  newUser,
  STRONG_PASSWORD,
} from './utils/chat-helpers.js';
import { CLI_TEST_TIMEOUT, CliTestApp, expectSuccess } from './utils/cli-helpers.js';
import { redisReachable, TEST_REDIS_URL, testRedisUrl } from './utils/redis.js';
import { turnOnEachFamily } from './utils/turn-families.js';
import { startServer, startTestApp, usingPostgresServer } from './utils/test-app.js';

const DEFAULT_LIMIT = 30;
const THROTTLED = /^Request was throttled\. Expected available in \d+ seconds\.$/;

/** At most CHAT_RATE_LIMIT turns per user per minute (30 by default); admins are exempt. */
describe('chat rate limit', () => {
  let app: CliTestApp;
  let adminName: string;

  beforeAll(async () => {
    app = await CliTestApp.start({ CHAT_RATE_LIMIT: '' }); // unset: the default, 30
    adminName = uniqueUsername('rate_admin');
    await app.withCli(async ({ run }) => {
      expectSuccess(
        await run(['create-user', '--username', adminName, '--password', STRONG_PASSWORD, '--admin']),
      );
    });
  }, CLI_TEST_TIMEOUT);
  afterAll(async () => {
    await app?.close();
  });

  const post = (user: ChatUser, sessionId: string, content: string) =>
    app.http.post(messagesUrl(sessionId)).set('Authorization', user.auth).send({ content });

  it('the 31st turn of a minute is a 429 with Retry-After, plain, streamed and on the seed routes', async () => {
    const ada = await newUser(app.http, 'rate_ada');
    const session = await createSession(app.http, ada.auth);
    for (let i = 0; i < DEFAULT_LIMIT; i++)
      expect((await post(ada, session.id, `Turn ${i}`)).status).toBe(201);

    const refused = await post(ada, session.id, 'One too many');
    expectProblem(refused, 429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body).toMatchObject({
      type: 'about:blank',
      detail: `Too many messages: at most ${DEFAULT_LIMIT} a minute. Try again in ${retryAfter} s.`,
    });

    const { streamed, quick, seed } = await turnOnEachFamily(app.http, app.baseUrl, ada, session.id);
    expect(streamed.status).toBe(429);
    expect(streamed.events).toEqual([]);
    expect(Number(streamed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    for (const res of [quick, seed]) {
      expect(res.status).toBe(429);
      expect(res.body).toEqual({ detail: expect.stringMatching(THROTTLED) });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }

    // Another user has a count of their own.
    const bob = await newUser(app.http, 'rate_bob');
    expect((await post(bob, (await createSession(app.http, bob.auth)).id, 'Hello')).status).toBe(201);
  });

  it('admins are exempt', async () => {
    const login = await app.http
      .post('/api/v1/auth/login')
      .send({ username: adminName, password: STRONG_PASSWORD });
    const admin: ChatUser = {
      id: login.body.user.id,
      username: adminName,
      access: login.body.access_token,
      auth: `Bearer ${login.body.access_token}`,
    };
    const session = await createSession(app.http, admin.auth);
    for (let i = 0; i < DEFAULT_LIMIT + 5; i++)
      expect((await post(admin, session.id, `Admin turn ${i}`)).status).toBe(201);
  });
});

describe('chat rate limit shared by two server processes through Redis (PostgreSQL)', () => {
  (usingPostgresServer ? it : it.skip)(
    'turns on either process count against one limit',
    async () => {
      if (!(await redisReachable())) throw new Error(`no Redis at ${TEST_REDIS_URL}`);
      const first = await startTestApp({
        JWT_SECRET: randomSecret(), // both processes accept the same tokens
        CHAT_RATE_LIMIT: '4',
        REDIS_URL: testRedisUrl(7),
      });
      const second = await startServer(first.env);
      try {
        const user = await newUser(first.http, 'rate_shared');
        const session = await createSession(first.http, user.auth);
        const agents = [first.http, request(second.baseUrl)];
        const post = (i: number) =>
          agents[i % 2]
            .post(messagesUrl(session.id))
            .set('Authorization', user.auth)
            .send({ content: `Turn ${i}` });
        for (let i = 0; i < 4; i++) expect((await post(i)).status).toBe(201);
        for (let i = 4; i < 6; i++) {
          const res = await post(i);
          expectProblem(res, 429);
          expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        }
      } finally {
        await second.stop();
        await first.close();
      }
    },
    CLI_TEST_TIMEOUT,
  );
});
