import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fakeTokens } from './fakes/fake-server.js';
import { OpenAiFake } from './fakes/openai-fake.js';
import { uniqueUsername } from './utils/auth-helpers.js';
import {
  allMessages,
  type ChatUser,
  createSession,
  expectFieldProblem,
  expectProblem,
  type MessageBody,
  messagesUrl,
  newUser,
  openAiFakeEnv,
  quickChatToken,
  sendMessage,
  STRONG_PASSWORD,
} from './utils/chat-helpers.js';
import { CLI_TEST_TIMEOUT, CliTestApp, expectOneLineFailure, expectSuccess } from './utils/cli-helpers.js';
import { SLOW_ANSWER, streamPastDeltas } from './utils/resume-helpers.js';
import { dataOf, requestSse, streamMessage } from './utils/sse-client.js';

const ME_USAGE = '/api/v1/me/usage';
const ADMIN_USAGE = '/api/v1/admin/usage';
const today = (): string => new Date().toISOString().slice(0, 10);

type Totals = {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  answers: number;
  failures: number;
};

/** The totals of a user's stored answers: the tokens the wire fake reported for each, as stored. */
function totalsOf(
  answers: {
    status: string;
    usage: { prompt_tokens: number | null; completion_tokens: number | null } | null;
  }[],
): Totals {
  const prompt = answers.reduce((sum, a) => sum + (a.usage?.prompt_tokens ?? 0), 0);
  const completion = answers.reduce((sum, a) => sum + (a.usage?.completion_tokens ?? 0), 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    answers: answers.length,
    failures: answers.filter((a) => a.status === 'failed').length,
  };
}

/**
 * Usage is read from the daily aggregate that each finished answer adds to: its totals must be the
 * tokens the OpenAI wire fake reported for every answer (plain, streamed, regenerated, seed routes,
 * failed), per day and per model, for the caller and, for admins, per user (and per day or model).
 */
describe('usage: GET /api/v1/me/usage, GET /api/v1/admin/usage, CLI usage', () => {
  const openai = new OpenAiFake();
  let app: CliTestApp;
  let ada: ChatUser;
  let bob: ChatUser;
  let admin: ChatUser;
  let expected: Totals;

  beforeAll(async () => {
    const { baseUrl } = await openai.start();
    app = await CliTestApp.start({
      ...openAiFakeEnv(baseUrl),
      LLM_TITLES: 'question',
    });
    const adminName = uniqueUsername('usage_admin');
    await app.withCli(async ({ run }) => {
      expectSuccess(
        await run(['create-user', '--username', adminName, '--password', STRONG_PASSWORD, '--admin']),
      );
    });
    ada = await newUser(app.http, 'usage_ada');
    bob = await newUser(app.http, 'usage_bob');
    const login = await app.http
      .post('/api/v1/auth/login')
      .send({ username: adminName, password: STRONG_PASSWORD });
    admin = {
      id: login.body.user.id,
      username: adminName,
      access: login.body.access_token,
      auth: `Bearer ${login.body.access_token}`,
    };

    // Ada: two plain turns, a streamed one, a regeneration, a failure, and one on each seed route.
    const session = await createSession(app.http, ada.auth, { title: 'Usage' });
    await sendMessage(app.http, ada.auth, session.id, 'First question');
    const second = await sendMessage(app.http, ada.auth, session.id, 'Second question, a little longer');
    const streamed = await requestSse(`${app.baseUrl}${messagesUrl(session.id)}`, {
      headers: { authorization: ada.auth },
      body: { content: 'Stream this one' },
    });
    expect(streamed.status).toBe(200);
    const regenerated = await app.http
      .post(`${messagesUrl(session.id)}/${second.assistant_message.id}/regenerate`)
      .set('Authorization', ada.auth)
      .send({});
    expect(regenerated.status).toBe(201);
    openai.fail(500);
    expect(
      (await app.http.post(messagesUrl(session.id)).set('Authorization', ada.auth).send({ content: 'fails' }))
        .status,
    ).toBe(502);
    const token = await quickChatToken(app.http, ada.username);
    const quick = await app.http
      .post('/api/v1/chat/')
      .set('Authorization', `Token ${token}`)
      .send({ message: 'Quick' });
    expect(quick.status).toBe(200);
    const seed = await app.http.post('/chatsessions/').set('Authorization', ada.auth).send({ title: 'Seed' });
    expect(
      (
        await app.http
          .post(`/chatsessions/${seed.body.id}/messages/`)
          .set('Authorization', ada.auth)
          .send({ prompt: 'Seed' })
      ).status,
    ).toBe(201);

    const answers: MessageBody[] = [];
    for (const id of [session.id, quick.body.session_id as string, seed.body.id as string])
      answers.push(...(await allMessages(app.http, ada.auth, id)).filter((m) => m.role === 'assistant'));
    // Every answer of every branch: the active path goes through the regenerated answer; the streamed
    // turn's path holds the answer it replaced.
    const completed = dataOf<{ id: string }>(streamed.events.find((e) => e.event === 'message.completed'));
    const otherPath = await app.http
      .get(`${messagesUrl(session.id)}?leaf=${completed.id}`)
      .set('Authorization', ada.auth);
    answers.push(
      ...(otherPath.body.data as typeof answers).filter(
        (m) => m.role === 'assistant' && !answers.some((a) => a.id === m.id),
      ),
    );
    expected = totalsOf(answers);
    expect(expected).toMatchObject({ answers: 7, failures: 1 });
    expect(expected.prompt_tokens).toBeGreaterThan(0);
    expect(expected.completion_tokens).toBeGreaterThan(0);
  }, CLI_TEST_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await openai.stop();
  });

  it("the caller's usage per day is the tokens the provider reported, with answers and failures", async () => {
    const res = await app.http.get(ME_USAGE).set('Authorization', ada.auth);
    expect(res.status).toBe(200);
    const day = today();
    expect(res.body).toEqual({
      from: `${day.slice(0, 8)}01`,
      to: day,
      totals: expected,
      data: [{ day, ...expected }],
    });
  });

  it('per provider and model, and nothing for another user', async () => {
    const res = await app.http.get(ME_USAGE).query({ group: 'model' }).set('Authorization', ada.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([{ provider: 'openai', model: 'gpt-4o', ...expected }]);
    const other = await app.http.get(ME_USAGE).set('Authorization', bob.auth);
    expect(other.body).toMatchObject({
      totals: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, answers: 0, failures: 0 },
      data: [],
    });
  });

  it('a period without the day is empty; from and to are checked, naming the field', async () => {
    const past = await app.http
      .get(ME_USAGE)
      .query({ from: '2020-01-01', to: '2020-12-31' })
      .set('Authorization', ada.auth);
    expect(past.status).toBe(200);
    expect(past.body).toMatchObject({ from: '2020-01-01', to: '2020-12-31', data: [] });
    const leap = await app.http
      .get(ME_USAGE)
      .query({ from: '2024-01-01', to: '2024-12-31' })
      .set('Authorization', ada.auth);
    expect(leap.status).toBe(200); // 365 days apart: within 366
    for (const [query, field] of [
      [{ from: '2026-02-30' }, 'from'],
      [{ to: '26-01-01' }, 'to'],
      [{ from: '2026-01-02', to: '2026-01-01' }, 'from'],
      [{ from: '2020-01-01', to: '2021-01-02' }, 'from'],
      [{ to: '2000-06-01', from: '1999-01-01' }, 'from'],
      [{ group: 'week' }, 'group'],
      [{ limit: '5' }, 'limit'],
    ] as const) {
      const res = await app.http.get(ME_USAGE).query(query).set('Authorization', ada.auth);
      expectFieldProblem(res, field);
    }
    expectProblem(await app.http.get(ME_USAGE), 401);
  });

  it("admins read it per user, or one user's; others get 403", async () => {
    const all = await app.http.get(ADMIN_USAGE).set('Authorization', admin.auth);
    expect(all.status).toBe(200);
    const adaRow = (all.body.data as { username: string }[]).find((r) => r.username === ada.username);
    expect(adaRow).toEqual({ user_id: ada.id, username: ada.username, ...expected });
    expect((all.body.data as { username: string }[]).some((r) => r.username === bob.username)).toBe(false);
    const one = await app.http
      .get(ADMIN_USAGE)
      .query({ user: ada.username.toUpperCase() })
      .set('Authorization', admin.auth);
    expect(one.body).toMatchObject({ totals: expected, data: [{ username: ada.username }] });
    const nobody = await app.http
      .get(ADMIN_USAGE)
      .query({ user: 'no-such-user' })
      .set('Authorization', admin.auth);
    expect(nobody.body.data).toEqual([]);
    expectFieldProblem(
      await app.http.get(ADMIN_USAGE).query({ to: 'today' }).set('Authorization', admin.auth),
      'to',
    );
    expectProblem(await app.http.get(ADMIN_USAGE).set('Authorization', ada.auth), 403);
  });

  it(
    'the CLI prints it as a table, or as JSON; per day for one user',
    async () => {
      await app.withCli(async ({ run }) => {
        const json = await run(['usage', '--json']);
        expectSuccess(json);
        const report = JSON.parse(json.stdout) as { data: { username: string }[] };
        expect(report.data.find((r) => r.username === ada.username)).toMatchObject(expected);
        const from = new Date(Date.now() - 300 * 86_400_000).toISOString().slice(0, 10);
        const table = await run(['usage', '--from', from, '--to', today()]);
        expectSuccess(table);
        const lines = table.stdout.split('\n');
        expect(lines[0]).toBe(`${from} to ${today()} (UTC)`);
        expect(lines[1].split(/\s+/)).toEqual(['user_id', 'username', ...Object.keys(expected)]);
        expect(lines.find((l) => l.includes(ada.username))?.split(/\s+/)).toEqual([
          ada.id,
          ada.username,
          ...Object.values(expected).map(String),
        ]);
        expect(lines.at(-2)).toBe(
          `total: ${expected.total_tokens} tokens (${expected.prompt_tokens} prompt, ${expected.completion_tokens} completion), 7 answers, 1 failed`,
        );
        const mine = await run(['usage', '--user', ada.username, '--json']);
        expectSuccess(mine);
        expect(JSON.parse(mine.stdout)).toMatchObject({ totals: expected, data: [{ day: today() }] });
        expectOneLineFailure(await run(['usage', '--user', 'no-such-user']), /No user named "no-such-user"/);
        expectOneLineFailure(await run(['usage', '--from', '2026-13-01']), /--from must be a date/);
        expectOneLineFailure(
          await run(['usage', '--from', '2026-01-02', '--to', '2026-01-01']),
          /\(--from\)/,
        );
      });
    },
    CLI_TEST_TIMEOUT,
  );

  // Last: Cyd's usage would change the totals of every user that the CLI test reads.
  it("admins split each user's row per day or per provider and model (group), from the aggregate", async () => {
    const cyd = await newUser(app.http, 'usage_cyd');
    const turns = [];
    for (const model of [undefined, 'gpt-4o-mini']) {
      const session = await createSession(app.http, cyd.auth, model ? { model } : {});
      turns.push(
        (await sendMessage(app.http, cyd.auth, session.id, `Which model? ${model}`)).assistant_message,
      );
    }
    const [large, mini] = turns.map((answer) => totalsOf([answer]));
    expect(turns.map((answer) => answer.model)).toEqual(['gpt-4o', 'gpt-4o-mini']);
    const both = totalsOf(turns);
    const user = { user_id: cyd.id, username: cyd.username };
    const adminUsage = (query: Record<string, string>) =>
      app.http.get(ADMIN_USAGE).query(query).set('Authorization', admin.auth);
    const day = today();
    const period = { from: `${day.slice(0, 8)}01`, to: day };

    expect((await adminUsage({ user: cyd.username })).body).toEqual({
      ...period,
      totals: both,
      data: [{ ...user, ...both }],
    });
    const byDay = await adminUsage({ user: cyd.username, group: 'day' });
    expect(byDay.status).toBe(200);
    expect(byDay.body).toEqual({ ...period, totals: both, data: [{ ...user, day, ...both }] });
    const byModel = await adminUsage({ user: cyd.username, group: 'model' });
    expect(byModel.status).toBe(200);
    expect(byModel.body).toEqual({
      ...period,
      totals: both,
      data: [
        { ...user, provider: 'openai', model: 'gpt-4o', ...large },
        { ...user, provider: 'openai', model: 'gpt-4o-mini', ...mini },
      ],
    });

    // Every user's rows: by username, then provider and model; Ada's as her own report has them.
    const all = await adminUsage({ group: 'model' });
    expect(all.status).toBe(200);
    const rows = all.body.data as { username: string; model: string }[];
    expect(rows.filter((r) => r.username === ada.username)).toEqual([
      { user_id: ada.id, username: ada.username, provider: 'openai', model: 'gpt-4o', ...expected },
    ]);
    expect(rows.filter((r) => r.username === cyd.username)).toEqual(byModel.body.data);
    const runs = rows.filter((r, i) => i === 0 || rows[i - 1].username !== r.username); // each user's rows together
    expect(new Set(runs.map((r) => r.username)).size).toBe(runs.length);
    const allDays = await adminUsage({ group: 'day', from: '2020-01-01', to: '2020-12-31' });
    expect(allDays.body).toMatchObject({ from: '2020-01-01', to: '2020-12-31', data: [] });

    expectFieldProblem(await adminUsage({ group: 'week' }), 'group');
    expectProblem(
      await app.http.get(ADMIN_USAGE).query({ group: 'day' }).set('Authorization', cyd.auth),
      403,
    );
  });

  it('a streamed answer stopped, or failed, after the provider reported tokens keeps them in the usage', async () => {
    const dee = await newUser(app.http, 'usage_dee');
    const session = await createSession(app.http, dee.auth);
    const myTotals = async (): Promise<Totals> =>
      (await app.http.get(ME_USAGE).set('Authorization', dee.auth).expect(200)).body.totals as Totals;
    /** What the fake reported with the pieces the answer holds: every piece reports the tokens so far. */
    const reportedFor = (answer: MessageBody) => ({
      prompt_tokens: fakeTokens(openai.lastRequest?.body?.messages),
      completion_tokens: fakeTokens(answer.content),
    });

    // Stopped after its third delta.
    openai.reply(SLOW_ANSWER, { chunks: 20, delayMs: 150, continuousUsage: true });
    const { answerId, done } = streamPastDeltas(app.baseUrl, dee.auth, session.id, 'Stop me', 3);
    const stop = await app.http
      .post(`${messagesUrl(session.id)}/${await answerId}/stop`)
      .set('Authorization', dee.auth);
    expect(stop.status).toBe(200);
    await done;
    const stopped = stop.body as MessageBody;
    expect(stopped.status).toBe('stopped');
    expect(stopped.content.length).toBeGreaterThan(0);
    expect(stopped.content.length).toBeLessThan(SLOW_ANSWER.length);
    expect(stopped.usage).toEqual(reportedFor(stopped));
    expect(await myTotals()).toEqual(totalsOf([stopped])); // an answer, not a failure

    // Failed: the connection is cut after three pieces.
    openai.failMidStream(3, { text: SLOW_ANSWER, chunks: 20, continuousUsage: true });
    const cut = await streamMessage(app.baseUrl, dee.auth, session.id, 'Fail me');
    expect(cut.events.at(-1)?.event).toBe('error');
    const failed = (await allMessages(app.http, dee.auth, session.id)).at(-1) as MessageBody;
    expect(failed).toMatchObject({ role: 'assistant', status: 'failed' });
    expect(failed.content).toBe(SLOW_ANSWER.split(' ').slice(0, 6).join(' ') + ' ');
    expect(failed.usage).toEqual(reportedFor(failed));
    const totals = await myTotals();
    expect(totals).toEqual(totalsOf([stopped, failed]));
    expect(totals).toMatchObject({ answers: 2, failures: 1 });
  });
});
