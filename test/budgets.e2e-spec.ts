import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitUntil } from './fakes/helpers.js';
import { OpenAiFake } from './fakes/openai-fake.js';
import {
  type ChatUser,
  createSession,
  expectProblem,
  type MessageBody,
  messagesUrl,
  newUser,
  openAiFakeEnv,
  sendMessage,
  sleep,
} from './utils/chat-helpers.js';
import { CLI_TEST_TIMEOUT, CliTestApp, expectOneLineFailure, expectSuccess } from './utils/cli-helpers.js';
import { deferred } from './utils/sse-client.js';
import { turnOnEachFamily } from './utils/turn-families.js';

const DAILY_DEFAULT = 50;

interface BudgetBody {
  limit: number | null;
  used: number;
  remaining: number | null;
  resets_at: string;
}

const nextMidnight = (): number => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
};
const nextMonth = (): number => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
};

/** A 429 refusing a turn for a budget, with Retry-After until the budget's window resets. */
function expectRetryUntil(res: { status: number; headers: Record<string, unknown> }, resetsAt: number): void {
  expect(res.status).toBe(429);
  const expected = (resetsAt - Date.now()) / 1000;
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(Math.floor(expected) - 5);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(Math.ceil(expected) + 1);
}

/**
 * Token budgets: QUOTA_DAILY_TOKENS by default, a user's own through `set-quota`. A turn of a user who has
 * used a budget up is refused before anything is stored or the provider called, on every route family,
 * plain or streamed; under concurrency the overrun is bounded by the turns in flight.
 */
describe('token budgets', () => {
  const openai = new OpenAiFake();
  let app: CliTestApp;

  beforeAll(async () => {
    const { baseUrl } = await openai.start();
    app = await CliTestApp.start({
      ...openAiFakeEnv(baseUrl),
      LLM_TITLES: 'question',
      QUOTA_DAILY_TOKENS: String(DAILY_DEFAULT),
    });
  });
  afterAll(async () => {
    await app?.close();
    await openai.stop();
  });

  const budgets = async (user: ChatUser): Promise<{ daily: BudgetBody; monthly: BudgetBody }> => {
    const res = await app.http.get('/api/v1/me').set('Authorization', user.auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, username: user.username, role: 'user' });
    return res.body.budgets as { daily: BudgetBody; monthly: BudgetBody };
  };

  const setQuota = async (args: string[]): Promise<string> =>
    app.withCli(async ({ run }) => {
      const result = await run(['set-quota', ...args]);
      expectSuccess(result);
      return result.stdout;
    });

  /** Turns of `user` in one session until a budget refuses one; returns the tokens used by then. */
  async function useUp(user: ChatUser, sessionId: string): Promise<number> {
    for (let i = 0; i < 20; i++) {
      const res = await app.http
        .post(messagesUrl(sessionId))
        .set('Authorization', user.auth)
        .send({ content: `Question ${i}` });
      if (res.status === 429) return (await budgets(user)).daily.used;
      expect(res.status).toBe(201);
    }
    throw new Error('the budget never refused a turn');
  }

  it(
    'the daily default refuses the next turn with 429 and Retry-After, on the native and seed routes, plain and streamed',
    async () => {
      const ada = await newUser(app.http, 'budget_ada');
      expect(await budgets(ada)).toEqual({
        daily: {
          limit: DAILY_DEFAULT,
          used: 0,
          remaining: DAILY_DEFAULT,
          resets_at: new Date(nextMidnight()).toISOString(),
        },
        monthly: { limit: null, used: 0, remaining: null, resets_at: new Date(nextMonth()).toISOString() },
      });
      const session = await createSession(app.http, ada.auth);
      const used = await useUp(ada, session.id);
      expect(used).toBeGreaterThanOrEqual(DAILY_DEFAULT);
      expect((await budgets(ada)).daily).toMatchObject({ limit: DAILY_DEFAULT, used, remaining: 0 });

      const calls = openai.requests.length;
      const { plain, streamed, quick, seed, token } = await turnOnEachFamily(
        app.http,
        app.baseUrl,
        ada,
        session.id,
      );
      expectProblem(plain, 429);
      expectRetryUntil(plain, nextMidnight());
      expect(plain.body).toEqual({
        type: '/problems/quota-exceeded',
        title: 'Too Many Requests',
        status: 429,
        detail: `The daily token budget is used up: ${used} of ${DAILY_DEFAULT} tokens. It resets at ${new Date(nextMidnight()).toISOString()}.`,
        budget: 'daily',
        limit: DAILY_DEFAULT,
        used,
        resets_at: new Date(nextMidnight()).toISOString(),
        request_id: plain.headers['x-request-id'],
      });

      expect(streamed.status).toBe(429);
      expect(streamed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(streamed.events).toEqual([]);
      expect(JSON.parse(streamed.text)).toMatchObject({ type: '/problems/quota-exceeded', budget: 'daily' });
      expectRetryUntil(
        { status: streamed.status, headers: { 'retry-after': streamed.headers.get('retry-after') } },
        nextMidnight(),
      );

      for (const res of [quick, seed]) {
        expectRetryUntil(res, nextMidnight());
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toEqual({ error: plain.body.detail });
      }

      // Refused before the provider was called, and nothing stored (no new session for the quick chat).
      expect(openai.requests.length).toBe(calls);
      const history = await app.http
        .get('/api/v1/chat/chats-history/')
        .set('Authorization', `Token ${token}`);
      expect(history.body).toHaveLength(2); // the native session and the seed one, none from the refused quick chat
      const messages = await app.http.get(messagesUrl(session.id)).set('Authorization', ada.auth);
      expect((messages.body.data as unknown[]).length % 2).toBe(0);
      expect(messages.body.data.at(-1).status).toBe('complete');
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    "set-quota sets and lifts a user's own budgets; `default` goes back to the defaults",
    async () => {
      const bob = await newUser(app.http, 'budget_bob');
      const session = await createSession(app.http, bob.auth);
      const used = await useUp(bob, session.id);

      const lifted = await setQuota(['--user', bob.username, '--daily', 'none']);
      expect(lifted.trim()).toBe(
        `Budgets of "${bob.username}": daily unlimited (${used} used), monthly unlimited (${used} used).`,
      );
      expect((await budgets(bob)).daily).toMatchObject({ limit: null, remaining: null, used });
      const after = await sendMessage(app.http, bob.auth, session.id, 'Free again');
      const spent =
        used +
        (after.assistant_message.usage?.prompt_tokens ?? 0) +
        (after.assistant_message.usage?.completion_tokens ?? 0);

      await setQuota([
        '--user',
        bob.username.toUpperCase(),
        '--monthly',
        String(spent),
        '--daily',
        String(spent + 1000),
      ]);
      expect(await budgets(bob)).toMatchObject({
        daily: { limit: spent + 1000, used: spent, remaining: 1000 },
        monthly: { limit: spent, used: spent, remaining: 0 },
      });
      const monthly = await app.http
        .post(messagesUrl(session.id))
        .set('Authorization', bob.auth)
        .send({ content: 'Month' });
      expectRetryUntil(monthly, nextMonth());
      expect(monthly.body).toMatchObject({ budget: 'monthly', limit: spent, used: spent });

      await setQuota(['--user', bob.username, '--monthly', 'default', '--daily', 'default']);
      expect((await budgets(bob)).daily).toMatchObject({ limit: DAILY_DEFAULT, used: spent, remaining: 0 });
      expect((await budgets(bob)).monthly).toMatchObject({ limit: null });
      const daily = await app.http
        .post(messagesUrl(session.id))
        .set('Authorization', bob.auth)
        .send({ content: 'Day' });
      expect(daily.body).toMatchObject({ budget: 'daily' });

      await setQuota(['--user', bob.username, '--daily', '0']);
      expect((await budgets(bob)).daily).toMatchObject({ limit: 0, remaining: 0 });

      await app.withCli(async ({ run }) => {
        expectOneLineFailure(
          await run(['set-quota', '--user', bob.username, '--daily', '-5']),
          /--daily must be a number of tokens, none or default/,
        );
        expectOneLineFailure(
          await run(['set-quota', '--user', bob.username, '--monthly', 'lots']),
          /--monthly must be/,
        );
        expectOneLineFailure(
          await run(['set-quota', '--user', bob.username]),
          /Give --daily, --monthly or both/,
        );
        expectOneLineFailure(
          await run(['set-quota', '--user', 'no-such-user', '--daily', '5']),
          /No user named "no-such-user"/,
        );
      });
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    '20 concurrent turns at the edge: the overrun is at most the tokens of the turns in flight when the budget was reached, and then it holds',
    async () => {
      const carol = await newUser(app.http, 'budget_carol');
      const session = await createSession(app.http, carol.auth);
      const tokensOf = (answer: Pick<MessageBody, 'usage'>) =>
        (answer.usage?.prompt_tokens ?? 0) + (answer.usage?.completion_tokens ?? 0);
      // Turns complete until the edge: one token left, so the budget is not reached yet.
      const warmUp = [
        await sendMessage(app.http, carol.auth, session.id, 'Warm up'),
        await sendMessage(app.http, carol.auth, session.id, 'Warm up again'),
      ];
      const usedBefore = (await budgets(carol)).daily.used;
      expect(usedBefore).toBe(warmUp.reduce((sum, t) => sum + tokensOf(t.assistant_message), 0));
      const limit = usedBefore + 1;
      await setQuota(['--user', carol.username, '--daily', String(limit)]);
      const post = (content: string) =>
        app.http.post(messagesUrl(session.id)).set('Authorization', carol.auth).send({ content });

      // 20 turns at once, the fake holding every answer: all are admitted (nothing new is stored, so the
      // budget is not reached) and all are in flight, i.e. checked when they started and not yet counted.
      const calls = openai.requests.length;
      const held = Array.from({ length: 20 }, () => deferred());
      openai.enqueue(...held.map((gate) => ({ type: 'reply' as const, hold: gate.promise })));
      const inFlight = Promise.all(Array.from({ length: 20 }, (_, i) => post(`Concurrent ${i}`)));
      await waitUntil(() => openai.requests.length === calls + 20, 20_000);

      // One answer is stored: the budget is reached while the 19 others are still in flight.
      held[0].resolve();
      for (let i = 0; (await budgets(carol)).daily.remaining !== 0; i++) {
        expect(i).toBeLessThan(200);
        await sleep(25);
      }
      // Turns started now are refused before the provider is called, though 19 turns are still in flight.
      const late = await Promise.all(Array.from({ length: 5 }, (_, i) => post(`Late ${i}`)));
      for (const res of late) {
        expectRetryUntil(res, nextMidnight());
        expect(res.body).toMatchObject({ budget: 'daily', limit });
      }
      expect(openai.requests.length).toBe(calls + 20);

      // The turns in flight finish and count.
      for (const gate of held) gate.resolve();
      const admitted = await inFlight;
      expect(admitted.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 201));
      const inFlightTokens = admitted.reduce((sum, r) => sum + tokensOf(r.body.assistant_message), 0);
      const { daily } = await budgets(carol);
      // Every admitted answer counted exactly once (the aggregate adds up under concurrency) …
      expect(daily.used).toBe(usedBefore + inFlightTokens);
      const usage = await app.http.get('/api/v1/me/usage').set('Authorization', carol.auth);
      expect(usage.body.totals).toMatchObject({ total_tokens: daily.used, answers: 22, failures: 0 });
      // … and the budget was overrun by at most the tokens of the turns in flight when it was reached.
      expect(daily.used - limit).toBeGreaterThan(0);
      expect(daily.used - limit).toBeLessThanOrEqual(inFlightTokens);
      expectRetryUntil(await post('After'), nextMidnight());
      openai.reset();
    },
    CLI_TEST_TIMEOUT,
  );
});
