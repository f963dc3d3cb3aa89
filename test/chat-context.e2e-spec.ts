import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import { OpenAiFake, type OpenAiMessage } from './fakes/openai-fake.js';
import { sleep } from './utils/auth-helpers.js';
import {
  allMessages,
  createSession,
  type MessageBody,
  messagesUrl,
  newUser,
  type Page,
  type SessionBody,
  sendMessage,
  SESSIONS,
  type Turn,
} from './utils/chat-helpers.js';
import { startServer, startTestApp, type TestApp, usingPostgresServer } from './utils/test-app.js';

/** A message with its place in the session's tree. */
type TreeMessage = MessageBody & { parent_id: string | null };

/**
 * The context a turn sends is read by walking up the new question's path from its parent, only as far
 * as the turns that can fit, however long the history.
 * These check that the contexts stay exactly the newest complete turns of that path that fit: as the
 * window slides and the budget changes, when turns are asked at once, when another server answers in the
 * same session, and on branches (never another branch's messages). The upgrade of a database written
 * before trees is upgrade-trees.e2e-spec.ts.
 */
describe('the context of a turn: the newest complete turns of its path that fit', () => {
  const openai = new OpenAiFake();
  let providerEnv: Record<string, string>;

  beforeAll(async () => {
    const { baseUrl } = await openai.start();
    providerEnv = {
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: `${baseUrl}/v1`,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
      JWT_SECRET: randomBytes(32).toString('hex'), // the same across a restart, so that tokens stay valid
    };
  });
  afterAll(async () => {
    await openai.stop();
  });
  beforeEach(() => openai.reset());

  /** A server of its own for the tests of the enclosing describe, on the fake; closed after them. */
  function serverForDescribe(env: Record<string, string> = {}): () => TestApp {
    let t: TestApp | undefined;
    beforeAll(async () => {
      t = await startTestApp({ ...providerEnv, ...env });
    });
    afterAll(async () => {
      await t?.close();
    });
    return () => {
      if (!t) throw new Error('the server did not start');
      return t;
    };
  }

  const contents = (messages: OpenAiMessage[] | undefined) => (messages ?? []).map((m) => m.content);

  /** POSTs a JSON body to the server at `baseUrl`; returns the status and the parsed body. */
  async function post(baseUrl: string, auth: string, path: string, body: object) {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  /**
   * Sends `question` through the server at `baseUrl` with the fake answering `answer`, after the session's
   * active leaf or, when given, the answer `parentId` (null: a new first question). Expects the context the
   * fake received to be the model's (when `check`), records the turn in the model and returns its answer's id.
   */
  async function turn(
    baseUrl: string,
    auth: string,
    sessionId: string,
    model: ContextModel,
    [question, answer]: [string, string],
    { check = true, parentId }: { check?: boolean; parentId?: string | null } = {},
  ): Promise<string> {
    const parent = parentId === undefined ? model.activeLeaf : parentId;
    openai.reply(answer);
    const res = await post(baseUrl, auth, messagesUrl(sessionId), {
      content: question,
      ...(parentId === undefined ? {} : { parent_id: parentId }),
    });
    expect(res.status).toBe(201);
    if (check) expect(contents(openai.lastRequest?.body?.messages)).toEqual(model.expected(parent, question));
    const stored = res.body as Turn;
    model.answered(stored.assistant_message.id, {
      questionId: stored.user_message.id,
      parent,
      question,
      answer,
      complete: true,
    });
    return stored.assistant_message.id;
  }

  /** A turn the provider fails (502): stored with a failed answer, which becomes the active leaf. */
  async function failedTurn(
    t: TestApp,
    auth: string,
    sessionId: string,
    model: ContextModel,
    question: string,
  ) {
    openai.fail(500);
    await t.http
      .post(messagesUrl(sessionId))
      .set('Authorization', auth)
      .send({ content: question })
      .expect(502);
    const path = (await allMessages(t.http, auth, sessionId)) as TreeMessage[];
    const [asked, failed] = path.slice(-2);
    expect([asked.content, failed.status]).toEqual([question, 'failed']);
    model.answered(failed.id, {
      questionId: asked.id,
      parent: model.activeLeaf,
      question,
      answer: failed.content,
      complete: false,
    });
  }

  describe('a long conversation', () => {
    let small: TestApp; // LLM_CONTEXT_TOKENS=400: a few turns fit
    let large: TestApp; // LLM_CONTEXT_TOKENS=50000: more than 200 short turns fit
    beforeAll(async () => {
      [small, large] = await Promise.all([
        startTestApp({ ...providerEnv, LLM_CONTEXT_TOKENS: '400' }),
        startTestApp({ ...providerEnv, LLM_CONTEXT_TOKENS: '50000' }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([small?.close(), large?.close()]);
    });

    it('sends exactly the newest turns that fit, every turn, as the budget shrinks and grows', async () => {
      const user = await newUser(small.http, 'slide');
      const session = await createSession(small.http, user.auth);
      const model = new ContextModel(400);
      const ask = (question: string) =>
        turn(small.baseUrl, user.auth, session.id, model, [
          question,
          `answer to ${question.slice(0, 12)} ${'z'.repeat(question.length % 70)}`,
        ]);
      const question = (i: number) => `q${i} ${'w'.repeat((i * 37) % 160)}`; // budgets vary with the length
      for (let i = 0; i < 14; i += 1) await ask(question(i));

      // A system prompt takes its share of the budget: the oldest turns drop out of the context.
      const prompt = `Answer as a pirate. ${'p'.repeat(500)}`;
      await patchSystemPrompt(small, user.auth, session.id, prompt);
      model.systemPrompt = prompt;
      for (let i = 14; i < 18; i += 1) await ask(question(i));

      // A failed turn is left out of every later context. Its long question left little room for
      // earlier turns, and the next, short one has room for more than that question's context held.
      await failedTurn(small, user.auth, session.id, model, `this one fails ${'f'.repeat(1_200)}`);
      await ask('short');

      // Without it the budget grows again: turns older than the last context come back.
      await patchSystemPrompt(small, user.auth, session.id, null);
      model.systemPrompt = null;
      for (let i = 18; i < 24; i += 1) await ask(question(i));
    });

    it('sends the newest 200 turns, however many more fit the budget', async () => {
      const user = await newUser(large.http, 'many');
      const session = await createSession(large.http, user.auth);
      const model = new ContextModel(50_000, 200);
      for (let i = 0; i < 206; i += 1)
        await turn(large.baseUrl, user.auth, session.id, model, [`c${i}`, `a${i}`], { check: i >= 198 });
    });
  });

  (usingPostgresServer ? describe : describe.skip)('two servers answering in the same session', () => {
    let t: TestApp;
    let other: Awaited<ReturnType<typeof startServer>>;
    beforeAll(async () => {
      t = await startTestApp({ ...providerEnv, LLM_CONTEXT_TOKENS: '400' });
      other = await startServer(t.env); // the same database and secret: a second instance
    });
    afterAll(async () => {
      await other?.stop();
      await t?.close();
    });

    it('each sends the turns the other answered', async () => {
      const user = await newUser(t.http, 'pair');
      const session = await createSession(t.http, user.auth);
      const model = new ContextModel(400);
      for (let i = 0; i < 12; i += 1) {
        const baseUrl = i % 3 === 2 ? t.baseUrl : other.baseUrl; // uneven, so each misses runs of turns
        await turn(baseUrl, user.auth, session.id, model, [
          `turn ${i} ${'v'.repeat((i * 29) % 90)}`,
          `answer ${i} ${'u'.repeat((i * 13) % 60)}`,
        ]);
      }
    });
  });

  describe('turns answered at the same time in one session', () => {
    const server = serverForDescribe();

    it('each follows the leaf it was asked after, with its own answer; the next context is the active path alone', async () => {
      const t = server();
      const user = await newUser(t.http, 'ctx');
      const session = await createSession(t.http, user.auth);
      const questions = Array.from({ length: 8 }, (_, i) => `concurrent question ${i}`);
      const turns = await Promise.all(questions.map((q) => sendMessage(t.http, user.auth, session.id, q)));

      // All stored; questions asked after the same leaf are versions (siblings) of each other. Each
      // answer's path is a path of turns ending with its own question and itself.
      const shown = await t.http.get(`${SESSIONS}/${session.id}`).set('Authorization', user.auth).expect(200);
      expect((shown.body as SessionBody).message_count).toBe(2 * questions.length);
      for (const { user_message: asked, assistant_message: answer } of turns) {
        const path = await pathTo(t.http, user.auth, session.id, answer.id);
        expect(path.slice(-2).map((m) => [m.id, m.content])).toEqual([
          [asked.id, asked.content],
          [answer.id, answer.content],
        ]);
        expectTurnsPath(path);
      }

      const active = (await allMessages(t.http, user.auth, session.id)) as TreeMessage[];
      expectTurnsPath(active);
      expect(turns.map((x) => x.assistant_message.id)).toContain(active.at(-1)?.id);
      await sendMessage(t.http, user.auth, session.id, 'and now?');
      expect(openai.lastRequest?.body?.messages).toEqual([
        ...active.map((m) => ({ role: m.role, content: m.content })),
        { role: 'user', content: 'and now?' },
      ]);
    });
  });

  describe('branches', () => {
    const server = serverForDescribe({ LLM_CONTEXT_TOKENS: '400' });

    /** Edits the question of the turn that `answerId` answers, checks the context, records the new turn. */
    async function edit(
      t: TestApp,
      auth: string,
      sessionId: string,
      model: ContextModel,
      answerId: string,
      [question, answer]: [string, string],
    ): Promise<string> {
      const edited = model.turn(answerId);
      openai.reply(answer);
      const res = await t.http
        .post(`${messagesUrl(sessionId)}/${edited.questionId}/edit`)
        .set('Authorization', auth)
        .send({ content: question });
      expect(res.status).toBe(201);
      expect(contents(openai.lastRequest?.body?.messages)).toEqual(model.expected(edited.parent, question));
      const stored = res.body as Turn;
      model.answered(stored.assistant_message.id, {
        questionId: stored.user_message.id,
        parent: edited.parent,
        question,
        answer,
        complete: true,
      });
      return stored.assistant_message.id;
    }

    /** Regenerates the answer `answerId`, checks the context, records the new answer. */
    async function regenerate(
      t: TestApp,
      auth: string,
      sessionId: string,
      model: ContextModel,
      answerId: string,
      answer: string,
    ): Promise<string> {
      const regenerated = model.turn(answerId);
      openai.reply(answer);
      const res = await t.http
        .post(`${messagesUrl(sessionId)}/${answerId}/regenerate`)
        .set('Authorization', auth)
        .send({});
      expect(res.status).toBe(201);
      expect(contents(openai.lastRequest?.body?.messages)).toEqual(
        model.expected(regenerated.parent, regenerated.question),
      );
      const stored = res.body as Turn;
      expect(stored.user_message.id).toBe(regenerated.questionId);
      model.answered(stored.assistant_message.id, { ...regenerated, answer });
      return stored.assistant_message.id;
    }

    it("a turn on a branch is sent the newest turns of its own path that fit, never another branch's messages", async () => {
      const t = server();
      const user = await newUser(t.http, 'branch');
      const session = await createSession(t.http, user.auth);
      const model = new ContextModel(400);
      const ask = (text: [string, string], parentId?: string | null) =>
        turn(t.baseUrl, user.auth, session.id, model, text, { parentId });
      // About five of these turns fit the budget.
      const say = (line: string, i: number): [string, string] => [
        `${line} question ${i} ${'x'.repeat((i * 41) % 200)}`,
        `${line} answer ${i} ${'y'.repeat((i * 29) % 250)}`,
      ];
      const sentNow = () => contents(openai.lastRequest?.body?.messages).map(String);

      const main: string[] = [];
      for (let i = 0; i < 8; i += 1) main.push(await ask(say('main', i)));

      // A branch from the second answer: its first context is the two turns before it, not the six after.
      const branch = [await ask(say('branch', 0), main[1])];
      expect(sentNow()).toEqual([...say('main', 0), ...say('main', 1), say('branch', 0)[0]]);
      // Asked after the active leaf, the next turns continue the branch.
      for (let i = 1; i < 6; i += 1) branch.push(await ask(say('branch', i)));
      expect(sentNow().filter((text) => /^main (question|answer) [2-7]/.test(text))).toEqual([]);
      // A failed turn on the branch is left out of its later contexts.
      await failedTurn(t, user.auth, session.id, model, 'branch question that fails');
      for (let i = 6; i < 9; i += 1) branch.push(await ask(say('branch', i)));
      // The window slid along the branch: the turns before the branch point are out of it now.
      expect(sentNow().filter((text) => text.startsWith('main'))).toEqual([]);

      // Back on the main line, after its last answer: its own turns only.
      main.push(await ask(say('main', 8), main[7]));
      expect(sentNow().filter((text) => text.startsWith('branch'))).toEqual([]);

      // An edit of a main-line question: the path up to that question's parent, then the new text; the
      // next turn follows the edited version, not the turns after the original.
      await edit(t, user.auth, session.id, model, main[5], say('edit', 5));
      await ask(say('edit', 6));
      expect(sentNow().filter((text) => /^(main question [5-8]|branch)/.test(text))).toEqual([]);

      // A regeneration on the branch: the branch's path up to the question, then the question.
      await regenerate(t, user.auth, session.id, model, branch[3], 'branch answer 3, regenerated');
      await ask(say('regenerated', 4));
      expect(sentNow().filter((text) => /^(main question [2-8]|edit|branch answer 3 )/.test(text))).toEqual(
        [],
      );

      // A new first question: nothing before it, and a path of its own after it.
      await ask(say('root', 0), null);
      expect(sentNow()).toEqual([say('root', 0)[0]]);
      await ask(say('root', 1));
    });
  });

  describe("a turn's storage", () => {
    const server = serverForDescribe();

    it('stores nothing while the answer is awaited, then the question and its answer together, in order', async () => {
      const t = server();
      const user = await newUser(t.http, 'store');
      const session = await createSession(t.http, user.auth);
      const first = await sendMessage(t.http, user.auth, session.id, 'first question');
      const shown = async () =>
        (await t.http.get(`${SESSIONS}/${session.id}`).set('Authorization', user.auth).expect(200))
          .body as SessionBody;
      const before = await shown();

      openai.reply('The slow answer.', { delayMs: 500 });
      const asked = openai.requests.length;
      const pending = sendMessage(t.http, user.auth, session.id, 'second question');
      while (openai.requests.length === asked) await sleep(10);
      const during = await shown();
      expect({ count: during.message_count, updatedAt: during.updated_at }).toEqual({
        count: 2,
        updatedAt: before.updated_at,
      });
      expect((await allMessages(t.http, user.auth, session.id)).map((m) => m.id)).toEqual([
        first.user_message.id,
        first.assistant_message.id,
      ]);

      const turn = await pending;
      const after = await shown();
      expect(after.message_count).toBe(4);
      const stored = await allMessages(t.http, user.auth, session.id);
      expect(stored.map((m) => [m.id, m.role, m.content])).toEqual([
        [first.user_message.id, 'user', 'first question'],
        [first.assistant_message.id, 'assistant', first.assistant_message.content],
        [turn.user_message.id, 'user', 'second question'],
        [turn.assistant_message.id, 'assistant', 'The slow answer.'],
      ]);
      // The question keeps the time it was asked at, before the answer's half a second.
      const askedAt = Date.parse(turn.user_message.created_at);
      const answeredAt = Date.parse(turn.assistant_message.created_at);
      expect(answeredAt - askedAt).toBeGreaterThanOrEqual(400);
      expect(Date.parse(after.updated_at) - askedAt).toBeGreaterThanOrEqual(400); // moved by the answer
    });
  });
});

/** A turn of a {@link ContextModel}: a question and its answer, after the answer `parent` (null: a first question). */
interface ModelTurn {
  questionId: string;
  parent: string | null;
  question: string;
  answer: string;
  complete: boolean;
}

/**
 * What the context should be, from the documented rule: the newest complete turns of the path from the
 * root to the new question's parent whose characters (question + answer + 32 each) fit
 * (LLM_CONTEXT_TOKENS - the question's and the system prompt's estimated tokens) × 4, at most `maxTurns`
 * of them, oldest first, then the question; the system prompt is sent on its own. The model holds the
 * session's tree: its turns by answer id, and the active leaf (the answer last stored).
 */
class ContextModel {
  systemPrompt: string | null = null;
  activeLeaf: string | null = null;
  private readonly turns = new Map<string, ModelTurn>();

  constructor(
    private readonly contextTokens: number,
    private readonly maxTurns = Infinity,
  ) {}

  /** Records a stored turn (its answer `answerId`), which becomes the active leaf. */
  answered(answerId: string, turn: ModelTurn): void {
    this.turns.set(answerId, turn);
    this.activeLeaf = answerId;
  }

  turn(answerId: string): ModelTurn {
    const turn = this.turns.get(answerId);
    if (!turn) throw new Error(`no turn answered by ${answerId}`);
    return turn;
  }

  /** The contents the model should be sent for `question` asked after the answer `parent`. */
  expected(parent: string | null, question: string): string[] {
    const tokens = (text: string) => Math.ceil(text.length / 4) + 4;
    const fixed = tokens(question) + (this.systemPrompt ? tokens(this.systemPrompt) : 0);
    let budget = Math.max(0, this.contextTokens - fixed) * 4;
    const kept: string[] = [];
    for (let id = parent; id !== null;) {
      const turn = this.turn(id);
      id = turn.parent;
      if (!turn.complete) continue;
      budget -= turn.question.length + turn.answer.length + 32;
      if (budget < 0 || kept.length === 2 * this.maxTurns) break;
      kept.unshift(turn.question, turn.answer);
    }
    return [...(this.systemPrompt ? [this.systemPrompt] : []), ...kept, question];
  }
}

/** The path from the root to `leaf` (one page: these paths are short). */
async function pathTo(
  http: TestAgent,
  auth: string,
  sessionId: string,
  leaf: string,
): Promise<TreeMessage[]> {
  const res = await http.get(messagesUrl(sessionId)).set('Authorization', auth).query({ leaf, limit: 100 });
  expect(res.status).toBe(200);
  const page = res.body as Page<TreeMessage>;
  expect(page.next_cursor).toBeNull();
  return page.data;
}

/** A path of complete turns: a first question, then each message after the one before, question, answer, … */
function expectTurnsPath(path: TreeMessage[]): void {
  expect(path.map((m) => [m.role, m.parent_id, m.status])).toEqual(
    path.map((m, i) => [i % 2 === 0 ? 'user' : 'assistant', i === 0 ? null : path[i - 1].id, 'complete']),
  );
}

async function patchSystemPrompt(t: TestApp, auth: string, sessionId: string, prompt: string | null) {
  await t.http
    .patch(`${SESSIONS}/${sessionId}`)
    .set('Authorization', auth)
    .send({ system_prompt: prompt })
    .expect(200);
}
