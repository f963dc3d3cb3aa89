import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { GeminiFake } from '../fakes/gemini-fake.js';
import { OpenAiFake } from '../fakes/openai-fake.js';
import {
  bearer,
  type ChatUser,
  type MessageBody,
  createSession,
  echoAnswer,
  expectFieldProblem,
  messagesUrl,
  newUser,
  quickChatToken,
  seedAccessToken,
  type SessionBody,
  type Turn,
  UNKNOWN_ID,
} from './chat-helpers.js';
import { startTestApp, type TestApp } from './test-app.js';
import {
  assistant,
  expectFieldReply,
  expectProblemReply,
  expectSiblings,
  ids,
  type Mode,
  type Reply,
  said,
  TreeChat,
  TreeReads,
  user,
  Wire,
} from './tree-helpers.js';

/**
 * The conversation-tree behaviours (issue #22), run by chat-trees.e2e-spec.ts with plain JSON answers
 * and by stream-trees.e2e-spec.ts with streamed ones: branch from `parent_id`, edit, regenerate, switch,
 * `?leaf=`, siblings, failed answers, and the seed routes' view. Every turn checks at the OpenAI wire
 * fake exactly which messages the model received.
 */

/** The server, the fakes and the callers the tree suites share; filled in by `beforeAll`. */
export interface TreeContext {
  app: TestApp;
  openai: OpenAiFake;
  gemini: GeminiFake;
  chat: TreeChat;
  reads: TreeReads;
  wire: Wire;
  me: ChatUser;
  other: ChatUser;
  /**
   * A new session of `owner` (`me` by default). It has a title, so that no title call reaches the model
   * and each turn is exactly one request at the wire.
   */
  newSession(owner?: ChatUser, body?: object): Promise<SessionBody>;
}

/** Starts the fakes and a server on them for the enclosing describe; the context is ready in the tests. */
export function treeFixture(mode: Mode): TreeContext {
  const openai = new OpenAiFake();
  const gemini = new GeminiFake();
  const ctx = { openai, gemini } as TreeContext;
  beforeAll(async () => {
    const openaiBase = (await openai.start()).baseUrl;
    const geminiBase = (await gemini.start()).baseUrl;
    ctx.app = await startTestApp({
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: `${openaiBase}/v1`,
      GEMINI_API_KEY: 'test-key',
      GEMINI_BASE_URL: geminiBase,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
      LLM_TIMEOUT_MS: '5000',
      LOGIN_MAX_FAILURES: '1000',
    });
    ctx.chat = new TreeChat(ctx.app.baseUrl, mode);
    ctx.reads = new TreeReads(ctx.app);
    ctx.wire = new Wire(openai, mode);
    ctx.me = await newUser(ctx.app.http, 'tree');
    ctx.other = await newUser(ctx.app.http, 'tree_other');
    ctx.newSession = async (owner = ctx.me, body = {}) =>
      await createSession(ctx.app.http, owner.auth, { title: 'A tree', ...body });
  });
  afterAll(async () => {
    await ctx.app?.close();
    await openai.stop();
    await gemini.stop();
  });
  beforeEach(() => {
    openai.reset();
    gemini.reset();
  });
  return ctx;
}

/** The behaviours checked the same way in both modes. */
export function treeBehaviours(ctx: TreeContext): void {
  /** Expects the session's active leaf and how many messages its whole tree holds. */
  async function expectSession(sessionId: string, activeLeafId: string | null, messageCount: number) {
    const session = await ctx.reads.session(ctx.me.auth, sessionId);
    expect({ active_leaf_id: session.active_leaf_id, message_count: session.message_count }).toEqual({
      active_leaf_id: activeLeafId,
      message_count: messageCount,
    });
  }

  /** The ids of the active path (or of the path ending at `leaf`). */
  async function pathIds(sessionId: string, leaf?: string): Promise<string[]> {
    return ids(await ctx.reads.path(ctx.me.auth, sessionId, leaf));
  }

  const turnIds = (...turns: Turn[]) => turns.flatMap((t) => [t.user_message.id, t.assistant_message.id]);

  /** A session of `me` with one turn, and one of `other` with one turn: targets that must be refused. */
  async function foreignTurns(): Promise<{
    mine: SessionBody;
    mineTurn: Turn;
    theirs: SessionBody;
    theirTurn: Turn;
  }> {
    const mine = await ctx.newSession();
    const mineTurn = await ctx.chat.turn(ctx.me.auth, mine.id, 'in my other session');
    const theirs = await ctx.newSession(ctx.other);
    const theirTurn = await ctx.chat.turn(ctx.other.auth, theirs.id, 'in their session');
    return { mine, mineTurn, theirs, theirTurn };
  }

  /**
   * Expects `act` (an edit or a regeneration) to refuse, with no model call: `wrongKind` of this session
   * (400), and an unknown message, another session's or another user's `kind` (404).
   */
  async function expectRefusals(
    sessionId: string,
    wrongKind: string,
    kind: 'user_message' | 'assistant_message',
    act: (sessionId: string, messageId: string) => Promise<Reply>,
  ): Promise<void> {
    const { mineTurn, theirs, theirTurn } = await foreignTurns();
    const refused: [string, string, string, number][] = [
      ['the other kind of message', sessionId, wrongKind, 400],
      ['an unknown message', sessionId, UNKNOWN_ID, 404],
      ["another session's message", sessionId, mineTurn[kind].id, 404],
      ["another user's message, in this session", sessionId, theirTurn[kind].id, 404],
      ["another user's message, in their session", theirs.id, theirTurn[kind].id, 404],
    ];
    for (const [label, session, messageId, status] of refused) {
      const reply = await ctx.wire.expectNone(() => act(session, messageId));
      expect({ label, status: reply.status }).toEqual({ label, status });
      expectProblemReply(reply, status);
    }
    expect(ids(await ctx.reads.path(ctx.other.auth, theirs.id))).toEqual(turnIds(theirTurn));
  }

  describe('a linear conversation', () => {
    it('links each question to the answer before it and each answer to its question; each message is its only sibling; the session shows its active leaf', async () => {
      const { chat, wire, me } = ctx;
      const session = await ctx.newSession();
      expect(session).toMatchObject({ active_leaf_id: null, message_count: 0 });
      await expectSession(session.id, null, 0);

      const t1 = await wire.expectOne([user('first question')], () =>
        chat.turn(me.auth, session.id, 'first question'),
      );
      const t2 = await wire.expectOne([...said(t1), user('second question')], () =>
        chat.turn(me.auth, session.id, 'second question'),
      );
      const t3 = await wire.expectOne([...said(t1), ...said(t2), user('third question')], () =>
        chat.turn(me.auth, session.id, 'third question'),
      );

      const messages = [t1, t2, t3].flatMap((t) => [t.user_message, t.assistant_message]);
      expect(messages.map((m) => [m.role, m.parent_id])).toEqual([
        ['user', null],
        ['assistant', t1.user_message.id],
        ['user', t1.assistant_message.id],
        ['assistant', t2.user_message.id],
        ['user', t2.assistant_message.id],
        ['assistant', t3.user_message.id],
      ]);
      for (const message of messages) expectSiblings(message, [message.id], 0);
      await expectSession(session.id, t3.assistant_message.id, 6);

      // The path shown is the messages as the turns returned them.
      expect(await ctx.reads.path(me.auth, session.id)).toEqual(messages);
    });
  });

  describe('branching from an earlier answer with parent_id', () => {
    it('the model receives only the path to that answer and the new question; the new path is shown, the old one stays reachable with ?leaf=', async () => {
      const { chat, wire, me, reads } = ctx;
      const session = await ctx.newSession();
      const [t1, t2, t3] = await chat.conversation(me.auth, session.id, ['Q1', 'Q2', 'Q3']);

      const branch = await wire.expectOne([...said(t1), user('Q2, another way')], () =>
        chat.turn(me.auth, session.id, 'Q2, another way', t1.assistant_message.id),
      );
      expect(branch.user_message.parent_id).toBe(t1.assistant_message.id);
      expectSiblings(branch.user_message, [t2.user_message.id, branch.user_message.id], 1);
      expectSiblings(branch.assistant_message, [branch.assistant_message.id], 0);

      const shown = await reads.path(me.auth, session.id);
      expect(ids(shown)).toEqual(turnIds(t1, branch));
      expectSiblings(shown[2], [t2.user_message.id, branch.user_message.id], 1);
      await expectSession(session.id, branch.assistant_message.id, 8);

      const old = await reads.path(me.auth, session.id, t3.assistant_message.id);
      expect(ids(old)).toEqual(turnIds(t1, t2, t3));
      expectSiblings(old[2], [t2.user_message.id, branch.user_message.id], 0);
      expect(await pathIds(session.id, t3.user_message.id)).toEqual(turnIds(t1, t2, t3).slice(0, 5));
      // Reading another path does not switch to it.
      await expectSession(session.id, branch.assistant_message.id, 8);

      // The next question without parent_id continues the new branch.
      const next = await wire.expectOne([...said(t1), ...said(branch), user('Q3 on the new branch')], () =>
        chat.turn(me.auth, session.id, 'Q3 on the new branch'),
      );
      expect(next.user_message.parent_id).toBe(branch.assistant_message.id);
      expect(await pathIds(session.id)).toEqual(turnIds(t1, branch, next));
    });

    it('parent_id: null starts a new first question that sees no context, beside the first one', async () => {
      const { chat, wire, me } = ctx;
      const session = await ctx.newSession();
      const [t1, t2] = await chat.conversation(me.auth, session.id, ['first start', 'and then']);

      const fresh = await wire.expectOne([user('a fresh start')], () =>
        chat.turn(me.auth, session.id, 'a fresh start', null),
      );
      expect(fresh.user_message.parent_id).toBeNull();
      expectSiblings(fresh.user_message, [t1.user_message.id, fresh.user_message.id], 1);
      expect(await pathIds(session.id)).toEqual(turnIds(fresh));
      await expectSession(session.id, fresh.assistant_message.id, 6);

      const old = await ctx.reads.path(me.auth, session.id, t2.assistant_message.id);
      expect(ids(old)).toEqual(turnIds(t1, t2));
      expectSiblings(old[0], [t1.user_message.id, fresh.user_message.id], 0);
    });

    it('parent_id naming a question, a message of another session or user, an unknown id or no id → 400 naming parent_id; nothing stored, no model call', async () => {
      const { chat, wire, me } = ctx;
      const session = await ctx.newSession();
      const [t1] = await chat.conversation(me.auth, session.id, ['only question']);
      const { mineTurn, theirTurn } = await foreignTurns();
      const cases: [string, unknown][] = [
        ['a question of this session', t1.user_message.id],
        ['an answer of another session', mineTurn.assistant_message.id],
        ["an answer in another user's session", theirTurn.assistant_message.id],
        ['an unknown id', UNKNOWN_ID],
        ['not an id', 'not-a-uuid'],
        ['a number', 42],
      ];
      for (const [label, parentId] of cases) {
        const reply = await wire.expectNone(() =>
          chat.send(me.auth, session.id, `branch from ${label}`, parentId),
        );
        expect({ label, status: reply.status }).toEqual({ label, status: 400 });
        expectFieldReply(reply, 'parent_id');
      }
      await expectSession(session.id, t1.assistant_message.id, 2);
    });
  });

  describe('editing a question', () => {
    it('stores a new version beside it (same parent) and answers it from the path to its parent and the new content only', async () => {
      const { chat, wire, me, reads } = ctx;
      const session = await ctx.newSession();
      const [t1, t2, t3] = await chat.conversation(me.auth, session.id, ['Q1', 'Q2', 'Q3']);

      const edited = await wire.expectOne([...said(t1), user('Q2, better put')], async () =>
        chat.expectTurn(await chat.edit(me.auth, session.id, t2.user_message.id, 'Q2, better put')),
      );
      expect(edited.user_message).toMatchObject({
        session_id: session.id,
        content: 'Q2, better put',
        parent_id: t1.assistant_message.id,
      });
      expect(edited.user_message.id).not.toBe(t2.user_message.id);
      expectSiblings(edited.user_message, [t2.user_message.id, edited.user_message.id], 1);
      expectSiblings(edited.assistant_message, [edited.assistant_message.id], 0);

      // "2 / 2" on the new path, "1 / 2" on the old one.
      const shown = await reads.path(me.auth, session.id);
      expect(ids(shown)).toEqual(turnIds(t1, edited));
      expectSiblings(shown[2], [t2.user_message.id, edited.user_message.id], 1);
      const old = await reads.path(me.auth, session.id, t3.assistant_message.id);
      expect(ids(old)).toEqual(turnIds(t1, t2, t3));
      expect(old[2]).toMatchObject({ content: 'Q2' });
      expectSiblings(old[2], [t2.user_message.id, edited.user_message.id], 0);
      await expectSession(session.id, edited.assistant_message.id, 8);

      await wire.expectOne([...said(t1), ...said(edited), user('and next')], () =>
        chat.turn(me.auth, session.id, 'and next'),
      );
    });

    it('a second edit makes a third version; editing the first question starts again with no context', async () => {
      const { chat, wire, me } = ctx;
      const session = await ctx.newSession();
      const [t1, t2] = await chat.conversation(me.auth, session.id, ['opening', 'version one']);
      const v2 = chat.expectTurn(await chat.edit(me.auth, session.id, t2.user_message.id, 'version two'));
      const v3 = await wire.expectOne([...said(t1), user('version three')], async () =>
        chat.expectTurn(await chat.edit(me.auth, session.id, t2.user_message.id, 'version three')),
      );
      const versions = [t2.user_message.id, v2.user_message.id, v3.user_message.id];
      expectSiblings(v3.user_message, versions, 2);
      const middle = await ctx.reads.path(me.auth, session.id, v2.assistant_message.id);
      expectSiblings(middle[2], versions, 1);

      const restart = await wire.expectOne([user('a new opening')], async () =>
        chat.expectTurn(await chat.edit(me.auth, session.id, t1.user_message.id, 'a new opening')),
      );
      expect(restart.user_message.parent_id).toBeNull();
      expectSiblings(restart.user_message, [t1.user_message.id, restart.user_message.id], 1);
      expect(await pathIds(session.id)).toEqual(turnIds(restart));
      await expectSession(session.id, restart.assistant_message.id, 10);
    });

    it("an answer → 400; an unknown message, another session's or another user's → 404; blank or missing content → 400 naming content; nothing stored, no model call", async () => {
      const { chat, wire, me } = ctx;
      const session = await ctx.newSession();
      const [t1] = await chat.conversation(me.auth, session.id, ['edit me, not my answer']);
      await expectRefusals(session.id, t1.assistant_message.id, 'user_message', (sessionId, messageId) =>
        chat.edit(me.auth, sessionId, messageId, 'edited'),
      );
      for (const content of ['', '   \n', undefined, 42]) {
        const reply = await wire.expectNone(() =>
          chat.edit(me.auth, session.id, t1.user_message.id, content),
        );
        expectFieldReply(reply, 'content');
      }
      const extraField = await wire.expectNone(() =>
        chat.edit(me.auth, session.id, t1.user_message.id, 'edited', { role: 'assistant' }),
      );
      expectFieldReply(extraField, 'role');
      await expectSession(session.id, t1.assistant_message.id, 2);
    });
  });

  describe('regenerating an answer', () => {
    it('stores a new answer to the same question, from the path up to the question, and makes it the active leaf', async () => {
      const { chat, wire, me, reads } = ctx;
      const session = await ctx.newSession();
      const [t1, t2] = await chat.conversation(me.auth, session.id, ['Q1', 'Q2']);

      const again = await wire.expectOne([...said(t1), user('Q2')], async () =>
        chat.expectTurn(await chat.regenerate(me.auth, session.id, t2.assistant_message.id)),
      );
      // The question is the existing one, as stored.
      expect(again.user_message).toEqual((await reads.path(me.auth, session.id))[2]);
      expect(again.user_message).toMatchObject({ id: t2.user_message.id, content: 'Q2' });
      expect(again.assistant_message.parent_id).toBe(t2.user_message.id);
      expectSiblings(again.assistant_message, [t2.assistant_message.id, again.assistant_message.id], 1);

      const shown = await reads.path(me.auth, session.id);
      expect(ids(shown)).toEqual([...turnIds(t1), t2.user_message.id, again.assistant_message.id]);
      expectSiblings(shown[3], [t2.assistant_message.id, again.assistant_message.id], 1);
      const old = await reads.path(me.auth, session.id, t2.assistant_message.id);
      expect(ids(old)).toEqual(turnIds(t1, t2));
      expectSiblings(old[3], [t2.assistant_message.id, again.assistant_message.id], 0);
      await expectSession(session.id, again.assistant_message.id, 5);

      await wire.expectOne([...said(t1), ...said(again), user('next')], () =>
        chat.turn(me.auth, session.id, 'next'),
      );
    });

    it('an earlier answer: the model gets the path up to its question only; an empty body is accepted', async () => {
      const { chat, wire, me } = ctx;
      const session = await ctx.newSession();
      const [t1] = await chat.conversation(me.auth, session.id, ['Q1', 'Q2', 'Q3']);

      const again = await wire.expectOne([user('Q1')], async () =>
        chat.expectTurn(await chat.regenerate(me.auth, session.id, t1.assistant_message.id, {})),
      );
      expectSiblings(again.assistant_message, [t1.assistant_message.id, again.assistant_message.id], 1);
      expect(await pathIds(session.id)).toEqual([t1.user_message.id, again.assistant_message.id]);
      await expectSession(session.id, again.assistant_message.id, 7);
    });

    it('{provider, model} answer this once with that provider and model; the session keeps its own', async () => {
      const { chat, wire, me, gemini, openai } = ctx;
      const session = await ctx.newSession();
      const [t1, t2] = await chat.conversation(me.auth, session.id, ['Q1', 'Q2']);
      const defaultModel = t1.assistant_message.model;

      // Gemini, with a model of its own: the same context in Gemini's shape.
      const byGemini = await wire.expectNone(async () =>
        chat.expectTurn(
          await chat.regenerate(me.auth, session.id, t2.assistant_message.id, {
            provider: 'gemini',
            model: 'gemini-tree-test',
          }),
        ),
      );
      expect(gemini.requests).toHaveLength(1);
      expect(gemini.lastRequest?.path).toMatch(/\/models\/gemini-tree-test:/);
      expect(gemini.lastRequest?.body?.contents).toEqual([
        { role: 'user', parts: [{ text: 'Q1' }] },
        { role: 'model', parts: [{ text: t1.assistant_message.content }] },
        { role: 'user', parts: [{ text: 'Q2' }] },
      ]);
      expect(byGemini.assistant_message).toMatchObject({ provider: 'gemini', model: 'gemini-tree-test' });

      // OpenAI with another model.
      const byModel = await wire.expectOne([...said(t1), user('Q2')], async () =>
        chat.expectTurn(
          await chat.regenerate(me.auth, session.id, t2.assistant_message.id, {
            provider: 'openai',
            model: 'gpt-tree-test',
          }),
        ),
      );
      expect(openai.lastRequest?.body?.model).toBe('gpt-tree-test');
      expect(byModel.assistant_message).toMatchObject({ provider: 'openai', model: 'gpt-tree-test' });

      // Echo: no call at all, and it saw the two earlier messages of the path.
      const byEcho = await wire.expectNone(async () =>
        chat.expectTurn(
          await chat.regenerate(me.auth, session.id, t2.assistant_message.id, { provider: 'echo' }),
        ),
      );
      expect(byEcho.assistant_message).toMatchObject({ provider: 'echo', content: echoAnswer('Q2', 2) });
      expectSiblings(
        byEcho.assistant_message,
        [t2, byGemini, byModel, byEcho].map((t) => t.assistant_message.id),
        3,
      );

      // The session's own provider and model are unchanged, and the next turn uses them.
      const after = await ctx.reads.session(me.auth, session.id);
      expect({ provider: after.provider, model: after.model }).toEqual({
        provider: session.provider,
        model: session.model,
      });
      const next = await wire.expectOne([...said(t1), ...said(byEcho), user('back to the default')], () =>
        chat.turn(me.auth, session.id, 'back to the default'),
      );
      expect(openai.lastRequest?.body?.model).toBe(defaultModel);
      expect(next.assistant_message).toMatchObject({ provider: 'openai', model: defaultModel });
      expect(gemini.requests).toHaveLength(1);
    });

    it("a question → 400; an unknown message, another session's or another user's → 404; an unknown provider → 400 naming provider; nothing stored, no model call", async () => {
      const { chat, wire, me } = ctx;
      const session = await ctx.newSession();
      const [t1] = await chat.conversation(me.auth, session.id, ['regenerate my answer only']);
      await expectRefusals(session.id, t1.user_message.id, 'assistant_message', (sessionId, messageId) =>
        chat.regenerate(me.auth, sessionId, messageId),
      );
      const unknownProvider = await wire.expectNone(() =>
        chat.regenerate(me.auth, session.id, t1.assistant_message.id, { provider: 'nope' }),
      );
      expectFieldReply(unknownProvider, 'provider');
      const extraField = await wire.expectNone(() =>
        chat.regenerate(me.auth, session.id, t1.assistant_message.id, { content: 'not here' }),
      );
      expectFieldReply(extraField, 'content');
      await expectSession(session.id, t1.assistant_message.id, 2);
    });

    it('two regenerations of the same answer at the same moment are both stored as siblings', async () => {
      const { chat, wire, me, openai, reads } = ctx;
      const session = await ctx.newSession();
      const [t1, t2] = await chat.conversation(me.auth, session.id, ['Q1', 'Q2']);
      openai.reply('one way to say it', { delayMs: 300 }).reply('another way to say it', { delayMs: 300 });

      const [replies, sent] = await wire.during(() =>
        Promise.all([0, 1].map(() => chat.regenerate(me.auth, session.id, t2.assistant_message.id))),
      );
      expect(sent).toEqual([
        [...said(t1), user('Q2')],
        [...said(t1), user('Q2')],
      ]);
      const [r1, r2] = replies.map((reply) => chat.expectTurn(reply));
      expect([r1.assistant_message.content, r2.assistant_message.content].sort()).toEqual([
        'another way to say it',
        'one way to say it',
      ]);

      const old = await reads.path(me.auth, session.id, t2.assistant_message.id);
      const answers = [t2, r1, r2].map((t) => t.assistant_message.id);
      expect(old[3].sibling_count).toBe(3);
      expect(old[3].sibling_ids[0]).toBe(t2.assistant_message.id);
      expect([...old[3].sibling_ids].sort()).toEqual([...answers].sort());
      const session2 = await ctx.reads.session(me.auth, session.id);
      expect(session2.message_count).toBe(6);
      expect([r1.assistant_message.id, r2.assistant_message.id]).toContain(session2.active_leaf_id);
    });
  });

  describe('switching branches with PATCH active_leaf_id', () => {
    it('selects the newest leaf below the message; the path shown and the next turn follow it', async () => {
      const { chat, wire, me, reads } = ctx;
      const session = await ctx.newSession();
      const [t1, t2, t3] = await chat.conversation(me.auth, session.id, ['Q1', 'Q2', 'Q3']);
      const branch = await chat.turn(me.auth, session.id, 'Q2 on a branch', t1.assistant_message.id);

      const switched = await reads.switchTo(me.auth, session.id, t2.user_message.id);
      expect(switched.active_leaf_id).toBe(t3.assistant_message.id);
      await expectSession(session.id, t3.assistant_message.id, 8);
      expect(await pathIds(session.id)).toEqual(turnIds(t1, t2, t3));

      const t4 = await wire.expectOne([...said(t1), ...said(t2), ...said(t3), user('Q4')], () =>
        chat.turn(me.auth, session.id, 'Q4'),
      );
      expect(t4.user_message.parent_id).toBe(t3.assistant_message.id);
      expect(await pathIds(session.id)).toEqual(turnIds(t1, t2, t3, t4));

      // Below the first answer, the branch's question is the newer child.
      expect((await reads.switchTo(me.auth, session.id, t1.assistant_message.id)).active_leaf_id).toBe(
        branch.assistant_message.id,
      );
      expect(await pathIds(session.id)).toEqual(turnIds(t1, branch));
      // Below the second answer, down to the newest leaf.
      expect((await reads.switchTo(me.auth, session.id, t2.assistant_message.id)).active_leaf_id).toBe(
        t4.assistant_message.id,
      );
      // A leaf selects itself, and it takes the next turn.
      expect((await reads.switchTo(me.auth, session.id, branch.assistant_message.id)).active_leaf_id).toBe(
        branch.assistant_message.id,
      );
      await expectSession(session.id, branch.assistant_message.id, 10);
      await wire.expectOne([...said(t1), ...said(branch), user('back on the branch')], () =>
        chat.turn(me.auth, session.id, 'back on the branch'),
      );
    });

    it('a message of another session or user, an unknown id or no id → 400 naming active_leaf_id; the active leaf stays', async () => {
      const { chat, me, reads } = ctx;
      const session = await ctx.newSession();
      const [t1] = await chat.conversation(me.auth, session.id, ['stay here']);
      const { mineTurn, theirTurn } = await foreignTurns();
      for (const leaf of [
        mineTurn.assistant_message.id,
        theirTurn.user_message.id,
        UNKNOWN_ID,
        'not-a-uuid',
        7,
      ]) {
        const res = await reads.patchLeaf(me.auth, session.id, leaf);
        expectFieldProblem(res, 'active_leaf_id');
      }
      await expectSession(session.id, t1.assistant_message.id, 2);
    });
  });

  describe('reading a path with ?leaf=, page by page', () => {
    /** Every page of a path with `limit`: the page sizes and the ids in order. */
    async function pages(sessionId: string, limit: number, leaf?: string): Promise<[number[], string[]]> {
      const sizes: number[] = [];
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await ctx.reads.page(ctx.me.auth, sessionId, {
          limit,
          ...(leaf ? { leaf } : {}),
          ...(cursor ? { cursor } : {}),
        });
        sizes.push(page.data.length);
        seen.push(...ids(page.data));
        cursor = page.next_cursor ?? undefined;
      } while (cursor && sizes.length < 20);
      return [sizes, seen];
    }

    it('pages through paths longer than a page with limit and cursor: the active one and another', async () => {
      const { chat, me } = ctx;
      const session = await ctx.newSession();
      const trunk = await chat.conversation(
        me.auth,
        session.id,
        Array.from({ length: 6 }, (_, i) => `trunk ${i}`),
      );
      const b1 = await chat.turn(me.auth, session.id, 'branch 1', trunk[2].assistant_message.id);
      const b2 = await chat.turn(me.auth, session.id, 'branch 2');

      expect(await pages(session.id, 4)).toEqual([[4, 4, 2], turnIds(...trunk.slice(0, 3), b1, b2)]);
      expect(await pages(session.id, 5, trunk[5].assistant_message.id)).toEqual([
        [5, 5, 2],
        turnIds(...trunk),
      ]);
      expect(await pages(session.id, 2, trunk[1].user_message.id)).toEqual([
        [2, 1],
        turnIds(...trunk).slice(0, 3),
      ]);
      await expectSession(session.id, b2.assistant_message.id, 16);
    });

    it('?leaf= naming a message of another session or user, an unknown id or no id → 400 naming leaf', async () => {
      const { app, chat, me } = ctx;
      const session = await ctx.newSession();
      await chat.conversation(me.auth, session.id, ['here']);
      const { mineTurn, theirTurn } = await foreignTurns();
      for (const leaf of [
        mineTurn.assistant_message.id,
        theirTurn.assistant_message.id,
        UNKNOWN_ID,
        'nope',
      ]) {
        const res = await app.http.get(messagesUrl(session.id)).set('Authorization', me.auth).query({ leaf });
        expectFieldProblem(res, 'leaf');
      }
    });
  });

  describe('failed answers', () => {
    it('are shown in their path and are the active leaf, but left out of the next context with their question; regenerating one retries it', async () => {
      const { chat, wire, me, openai, reads } = ctx;
      const session = await ctx.newSession();
      const [t1] = await chat.conversation(me.auth, session.id, ['Q1']);

      openai.fail(500);
      chat.expectFailedTurn(
        await wire.expectOne([...said(t1), user('doomed')], () => chat.send(me.auth, session.id, 'doomed')),
      );
      const shown = await reads.path(me.auth, session.id);
      const [doomed, failed] = shown.slice(2) as [MessageBody, MessageBody];
      expect(shown.map((m) => [m.role, m.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'complete'],
        ['user', 'complete'],
        ['assistant', 'failed'],
      ]);
      expect([doomed.content, doomed.parent_id, failed.parent_id]).toEqual([
        'doomed',
        t1.assistant_message.id,
        doomed.id,
      ]);
      await expectSession(session.id, failed.id, 4);

      const after = await wire.expectOne([...said(t1), user('after the failure')], () =>
        chat.turn(me.auth, session.id, 'after the failure'),
      );
      expect(after.user_message.parent_id).toBe(failed.id);
      expect(await pathIds(session.id)).toEqual([...turnIds(t1), doomed.id, failed.id, ...turnIds(after)]);

      const retried = await wire.expectOne([...said(t1), user('doomed')], async () =>
        chat.expectTurn(await chat.regenerate(me.auth, session.id, failed.id)),
      );
      expectSiblings(retried.assistant_message, [failed.id, retried.assistant_message.id], 1);
      expect(await pathIds(session.id)).toEqual([...turnIds(t1), doomed.id, retried.assistant_message.id]);
      await expectSession(session.id, retried.assistant_message.id, 7);
    });
  });

  describe('failed edits and regenerations', () => {
    it('a provider failure stores the failed answer as the new branch, as for any turn', async () => {
      const { chat, wire, me, openai, reads } = ctx;
      const session = await ctx.newSession();
      const [t1, t2] = await chat.conversation(me.auth, session.id, ['Q1', 'Q2']);

      openai.fail(429);
      chat.expectFailedTurn(
        await wire.expectOne([...said(t1), user('Q2')], () =>
          chat.regenerate(me.auth, session.id, t2.assistant_message.id),
        ),
        503,
      );
      const regenerated = await reads.path(me.auth, session.id);
      const failedAnswer = regenerated[3];
      expect(failedAnswer).toMatchObject({
        role: 'assistant',
        status: 'failed',
        parent_id: t2.user_message.id,
      });
      expectSiblings(failedAnswer, [t2.assistant_message.id, failedAnswer.id], 1);
      await expectSession(session.id, failedAnswer.id, 5);

      openai.fail(500);
      chat.expectFailedTurn(
        await wire.expectOne([...said(t1), user('Q2 edited')], () =>
          chat.edit(me.auth, session.id, t2.user_message.id, 'Q2 edited'),
        ),
        502,
      );
      const edited = await reads.path(me.auth, session.id);
      expect(edited.slice(2).map((m) => [m.role, m.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'failed'],
      ]);
      expect(edited[2]).toMatchObject({ content: 'Q2 edited', parent_id: t1.assistant_message.id });
      expectSiblings(edited[2], [t2.user_message.id, edited[2].id], 1);
      await expectSession(session.id, edited[3].id, 7);
    });
  });

  describe('the seed routes see the active path as their linear history', () => {
    it('sessions seed: the exchange list and the next prompt follow the active path', async () => {
      const { app, chat, wire, me, reads } = ctx;
      const session = await ctx.newSession();
      const [t1, t2] = await chat.conversation(me.auth, session.id, ['Q1', 'Q2']);
      const edited = chat.expectTurn(await chat.edit(me.auth, session.id, t2.user_message.id, 'Q2 edited'));
      const seedAuth = bearer(await seedAccessToken(app.http, me.username));
      const exchanges = async () => {
        const res = await app.http
          .get(`/chatsessions/${session.id}/messages/`)
          .set('Authorization', seedAuth);
        expect(res.status).toBe(200);
        return (res.body as { prompt: string; response: string }[]).map((e) => [e.prompt, e.response]);
      };

      expect(await exchanges()).toEqual([
        ['Q1', t1.assistant_message.content],
        ['Q2 edited', edited.assistant_message.content],
      ]);
      const posted = await wire
        .as('plain')
        .expectOne([...said(t1), ...said(edited), user('Q3 from the seed')], () =>
          app.http
            .post(`/chatsessions/${session.id}/messages/`)
            .set('Authorization', seedAuth)
            .send({ prompt: 'Q3 from the seed' }),
        );
      expect(posted.status).toBe(201);
      const shown = await reads.path(me.auth, session.id);
      expect(shown.slice(4).map((m) => [m.role, m.content, m.parent_id])).toEqual([
        ['user', 'Q3 from the seed', edited.assistant_message.id],
        ['assistant', posted.body.response, shown[4].id],
      ]);
      await expectSession(session.id, shown[5].id, 8);

      await reads.switchTo(me.auth, session.id, t2.user_message.id);
      expect(await exchanges()).toEqual([
        ['Q1', t1.assistant_message.content],
        ['Q2', t2.assistant_message.content],
      ]);
    });

    it('quick-chat: the transcript and the next message follow the active path', async () => {
      const { app, chat, wire, me, reads } = ctx;
      const session = await ctx.newSession();
      const [t1, t2] = await chat.conversation(me.auth, session.id, ['Q1', 'Q2']);
      const again = chat.expectTurn(await chat.regenerate(me.auth, session.id, t2.assistant_message.id));
      const tokenAuth = `Token ${await quickChatToken(app.http, me.username)}`;
      const transcript = async () => {
        const res = await app.http.get(`/api/v1/chat/chats/${session.id}/`).set('Authorization', tokenAuth);
        expect(res.status).toBe(200);
        return (res.body.messages as { role: string; content: string }[]).map((m) => [m.role, m.content]);
      };

      const shownBefore = [...said(t1), user('Q2'), assistant(again.assistant_message.content)];
      expect(await transcript()).toEqual(shownBefore.map((m) => [m.role, m.content]));
      const posted = await wire
        .as('plain')
        .expectOne([...shownBefore, user('Q3 from quick-chat')], () =>
          app.http
            .post('/api/v1/chat/')
            .set('Authorization', tokenAuth)
            .send({ session_id: session.id, message: 'Q3 from quick-chat' }),
        );
      expect(posted.status).toBe(200);
      expect(posted.body.session_id).toBe(session.id);
      const shown = await reads.path(me.auth, session.id);
      expect(shown.slice(4).map((m) => [m.role, m.content])).toEqual([
        ['user', 'Q3 from quick-chat'],
        ['assistant', posted.body.message],
      ]);
      expect(shown[4].parent_id).toBe(again.assistant_message.id);

      await reads.switchTo(me.auth, session.id, t2.assistant_message.id);
      expect(await transcript()).toEqual([...said(t1), ...said(t2)].map((m) => [m.role, m.content]));
    });
  });
}
