import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import type TestAgent from 'supertest/lib/agent.js';
import {
  median,
  OTHER_STRONG_PASSWORD,
  registerNative,
  uniqueUsername,
  watchedAgent,
} from './utils/auth-helpers.js';
import { startTestApp, TestApp } from './utils/test-app.js';

const SAMPLES = 7;

describe('login failure timing', () => {
  let t: TestApp;
  let http: TestAgent;
  let known: string;

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    ({ http } = watchedAgent(t.baseUrl));
    known = uniqueUsername('timing');
    await registerNative(http, known);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function timedFailure(username: string): Promise<number> {
    const start = performance.now();
    const res = await http.post('/api/v1/auth/login').send({ username, password: OTHER_STRONG_PASSWORD });
    const elapsed = performance.now() - start;
    expect(res.status).toBe(401);
    return elapsed;
  }

  it('takes comparable time for an unknown user and for a wrong password (argon2 runs in both cases)', async () => {
    // warm-up: connections, JIT, the dummy hash
    for (let i = 0; i < 2; i++) {
      await timedFailure(known);
      await timedFailure(uniqueUsername('nobody'));
    }
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      // interleaved, so that a slow patch of the machine hits both series alike
      wrong.push(await timedFailure(known));
      unknown.push(await timedFailure(uniqueUsername('nobody')));
    }
    const ratio = median(unknown) / median(wrong);
    const summary = `unknown ${median(unknown).toFixed(1)} ms, wrong password ${median(wrong).toFixed(1)} ms`;
    // a login that skipped argon2 for unknown users would answer in a millisecond or two
    expect({ summary, wrongTakesArgon2Time: median(wrong) > 5 }).toEqual({
      summary,
      wrongTakesArgon2Time: true,
    });
    expect({ summary, ratioAtLeastHalf: ratio >= 0.5, ratioAtMostDouble: ratio <= 2 }).toEqual({
      summary,
      ratioAtLeastHalf: true,
      ratioAtMostDouble: true,
    });
  });
});
