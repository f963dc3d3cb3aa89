import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { OpenAiFake } from './fakes/openai-fake.js';
import { waitUntil } from './fakes/helpers.js';
import {
  allMessages,
  ChatUser,
  createSession,
  MessageBody,
  messagesUrl,
  newUser,
  sleep,
  usageTotals,
} from './utils/chat-helpers.js';
import {
  answerIdOf,
  deltaText,
  expectExactlyOnce,
  idsOf,
  openAiEnv,
  resumeStream,
  SLOW_ANSWER,
  streamPastDeltas,
  dropAfterDeltas,
} from './utils/resume-helpers.js';
import { redisReachable, TEST_REDIS_URL, testRedisUrl } from './utils/redis.js';
import { dataOf, eventShape, streamMessage } from './utils/sse-client.js';
import { RunningServer, startServer, startTestApp, TestApp, usingPostgresServer } from './utils/test-app.js';

const LEASE_MS = 1_500;
/**
 * Allowed beyond the design's bound on marking a dead instance's answer (1.5 × LEASE_MS): the sweep's
 * statements, a late timer and the poll that sees the mark, on a loaded machine.
 */
const MARGIN_MS = 500;
/** Each answer's Redis Stream is trimmed near this (MAXLEN ~: by whole nodes of 100 entries). */
const MAX_EVENTS = 100;
/** How long an ended answer's events stay: not the default, so that the expiry shows it is this setting. */
const RETAIN_MS = 50_000;
const REDIS_DB = 11;

/**
 * Two server processes, A and B, on one PostgreSQL database and one Redis (a database number of its
 * own), as behind a load balancer: a stream, its resume and its stop need not meet on one instance.
 * PostgreSQL only: the embedded database lives inside one process.
 */
(usingPostgresServer ? describe : describe.skip)('two instances sharing PostgreSQL and Redis', () => {
  const openai = new OpenAiFake();
  let a: TestApp;
  let b: RunningServer;
  /** A, restarted after the SIGTERM test. */
  let aAgain: RunningServer | undefined;
  let httpB: TestAgent;
  let user: ChatUser;

  beforeAll(async () => {
    if (!(await redisReachable())) {
      throw new Error(
        `no Redis at ${TEST_REDIS_URL}: start one (redis-server --daemonize yes) or set TEST_REDIS_URL`,
      );
    }
    await openai.start();
    a = await startTestApp(
      openAiEnv(openai, {
        JWT_SECRET: randomBytes(32).toString('hex'),
        REDIS_URL: testRedisUrl(REDIS_DB),
        GENERATION_RETAIN_MS: String(RETAIN_MS),
        GENERATION_LEASE_MS: String(LEASE_MS),
        GENERATION_MAX_EVENTS: String(MAX_EVENTS),
      }),
    );
    b = await startServer(a.env);
    httpB = request(b.baseUrl);
    user = await newUser(a.http, 'multi');
  });
  afterAll(async () => {
    await aAgain?.stop();
    await b?.stop();
    await a?.close();
    await openai.stop();
  });
  beforeEach(() => openai.reset());

  it('a stream started on A and dropped after 5 deltas resumes on B with Last-Event-ID: the rest exactly once, the text is the stored answer', async () => {
    const session = await createSession(a.http, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 20, delayMs: 150 });
    const first = await dropAfterDeltas(a.baseUrl, user.auth, session.id, 'a long answer please', 5);
    const answerId = answerIdOf(first);
    const resumed = await resumeStream(b.baseUrl, user.auth, session.id, answerId, idsOf(first).at(-1));
    expect({ status: resumed.status, ended: resumed.ended }).toEqual({ status: 200, ended: 'end' });
    const text = expectExactlyOnce(first, resumed);
    expect(text).toBe(SLOW_ANSWER);
    const stored = (await allMessages(httpB, user.auth, session.id))[1];
    expect(stored).toMatchObject({ id: answerId, status: 'complete', content: text });
    expect(dataOf(resumed.events.at(-1))).toEqual(stored);
  });

  it('a resume on B from before the oldest event Redis kept gets no text with a hole: no deltas, then the whole stored answer; the Redis Stream is bounded and expires after the answer', async () => {
    const session = await createSession(a.http, user.auth);
    const long = Array.from({ length: 400 }, (_, i) => `w${i + 1}`).join(' ');
    openai.reply(long, { chunks: 400 });
    const whole = await streamMessage(a.baseUrl, user.auth, session.id, 'a very long answer please');
    expect(deltaText(whole)).toBe(long);

    const answerId = answerIdOf(whole);
    const resumed = await resumeStream(b.baseUrl, user.auth, session.id, answerId, 1);
    expect(resumed.events.map((e) => e.event)).toEqual(['message.completed']);
    expect(dataOf(resumed.events[0])).toMatchObject({ status: 'complete', content: long });

    // The answer's Redis Stream: bounded near MAX_EVENTS (of its 402 events), and expiring once it ended.
    const redis = new Redis(testRedisUrl(REDIS_DB));
    try {
      const key = `chatbot:generation:${answerId}`;
      const length = await redis.xlen(key);
      expect(length).toBeGreaterThanOrEqual(MAX_EVENTS);
      expect(length).toBeLessThan(whole.events.length);
      let ttl = await redis.pttl(key);
      // Set after the final event is sent: until then, the hour an unfinished answer's stream is kept.
      for (let tries = 0; ttl > RETAIN_MS && tries < 50; tries += 1) {
        await sleep(100);
        ttl = await redis.pttl(key);
      }
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(RETAIN_MS);
    } finally {
      redis.disconnect();
    }
  });

  it("a stop sent to B aborts A's provider call: the model's server sees the connection closed, the partial text is stored as `stopped`", async () => {
    const session = await createSession(a.http, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 20, delayMs: 150 });
    const { answerId: third, done: streaming } = streamPastDeltas(
      a.baseUrl,
      user.auth,
      session.id,
      'stop me elsewhere',
      3,
    );
    const answerId = await third;
    const stopped = await httpB
      .post(`${messagesUrl(session.id)}/${answerId}/stop`)
      .set('Authorization', user.auth);
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ id: answerId, status: 'stopped' });
    await waitUntil(() => openai.requests[0]?.closed === true, 5_000);
    expect(openai.requests[0].closedEarly).toBe(true);

    const res = await streaming;
    expect(eventShape(res)).toEqual(['message.created', 'delta…', 'message.completed']);
    expect(dataOf(res.events.at(-1))).toEqual(stopped.body);
    expect(deltaText(res)).toBe(stopped.body.content);
    expect(SLOW_ANSWER.startsWith(stopped.body.content as string)).toBe(true);
    expect((await allMessages(httpB, user.auth, session.id))[1]).toEqual(stopped.body);
  });

  it('SIGTERM A mid-answer: A stores the partial answer `failed` as before, and a resume following it on B ends with a 503 `error`', async () => {
    const session = await createSession(httpB, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 20, delayMs: 300 });
    const first = await streamMessage(a.baseUrl, user.auth, session.id, 'about to shut down', {
      abortWhen: (e) => e.event === 'delta',
    });
    const answerId = answerIdOf(first);
    const follower = resumeStream(b.baseUrl, user.auth, session.id, answerId, idsOf(first).at(-1));
    await sleep(400); // the follower is reading on B
    expect(await a.stop()).toBe(0);
    const resumed = await follower;
    expect(resumed.events.at(-1)?.event).toBe('error');
    expect(dataOf(resumed.events.at(-1))).toMatchObject({ status: 503, message_id: answerId });
    const stored = (await allMessages(httpB, user.auth, session.id))[1];
    expect(stored).toMatchObject({ id: answerId, status: 'failed' });
    expect(stored.error).not.toBe('interrupted');
    expect(deltaText(first) + deltaText(resumed)).toBe(stored.content);
    // A again, on the same database, for what follows.
    const restarted = await startServer(a.env);
    a = {
      ...a,
      baseUrl: restarted.baseUrl,
      http: request(restarted.baseUrl),
      pid: restarted.process.pid as number,
    };
    aAgain = restarted;
  });

  it('SIGKILL A mid-answer: B marks the answer `interrupted` within the lease time, and a resume on B ends with `error`', async () => {
    const session = await createSession(a.http, user.auth);
    const usageBefore = await usageTotals(httpB, user.auth);
    openai.reply(SLOW_ANSWER, { chunks: 20, delayMs: 300 });
    const first = await streamMessage(a.baseUrl, user.auth, session.id, 'about to crash', {
      abortWhen: (e) => e.event === 'delta',
    });
    const answerId = answerIdOf(first);
    const follower = resumeStream(b.baseUrl, user.auth, session.id, answerId, idsOf(first).at(-1));
    process.kill(a.pid, 'SIGKILL');
    const killedAt = Date.now();

    // Polled one request at a time: the answer is seen within one round trip of being marked.
    let answer: MessageBody | undefined;
    let markedAfter: number;
    do {
      await sleep(20);
      answer = (await allMessages(httpB, user.auth, session.id))[1];
      markedAfter = Date.now() - killedAt;
    } while (answer?.status === 'streaming' && markedAfter < 4 * LEASE_MS);
    // A last renewed the lease at most at the kill, for LEASE_MS; B sweeps every half lease, so the first
    // sweep after the lease ran out comes at most LEASE_MS / 2 later: 1.5 × LEASE_MS after the kill, with
    // MARGIN_MS for the sweep's own statements and the poll that sees it (README: "within about 1.5 times").
    expect(markedAfter).toBeLessThan(1.5 * LEASE_MS + MARGIN_MS);
    expect(answer).toMatchObject({ id: answerId, status: 'failed', error: 'interrupted' });
    // The sweep that marked it counted it in the usage as a failure.
    const usageAfter = await usageTotals(httpB, user.auth);
    expect([usageAfter.answers - usageBefore.answers, usageAfter.failures - usageBefore.failures]).toEqual([
      1, 1,
    ]);

    const resumed = await follower;
    expect(resumed.events.at(-1)?.event).toBe('error');
    expect(dataOf(resumed.events.at(-1))).toMatchObject({ status: 503, message_id: answerId });
    const late = await resumeStream(b.baseUrl, user.auth, session.id, answerId);
    expect(late.events.at(-1)?.event).toBe('error');
  });
});
