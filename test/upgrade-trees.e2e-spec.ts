import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { MIGRATIONS } from '../src/database/migrations/index.js';
import { estimateTokens } from '../src/llm/token-estimate.js';
import { OpenAiFake, type OpenAiMessage } from './fakes/openai-fake.js';
import { STRONG_PASSWORD, uniqueUsername } from './utils/auth-helpers.js';
import {
  allMessages,
  bearer,
  type MessageBody,
  messagesUrl,
  quickChatToken,
  seedAccessToken,
  type SessionBody,
  SESSIONS,
} from './utils/chat-helpers.js';
import { createEmptyDatabase, type EmptyDatabase } from './utils/cli-helpers.js';
import {
  chatSchema,
  type OldAnswer,
  type OldMessage,
  type OldSession,
  openDatabase,
  PreviousRelease,
  readPreviousRelease,
} from './utils/previous-release.js';
import { type RunningServer, startServer } from './utils/test-app.js';

/** The migration under test: every migration before it is the previous release's schema. */
const TREES = 'ConversationTrees1795700000000';
const PREVIOUS_MIGRATIONS = MIGRATIONS.slice(
  0,
  MIGRATIONS.findIndex((m) => m.name === TREES),
);

/** The upgraded server's context budget: a few of the long session's turns fit, all of the others'. */
const CONTEXT_TOKENS = 500;

const PROVIDER_ERROR = 'The provider had a server error (HTTP 500).';

interface User {
  id: string;
  username: string;
  /** The three route families' credentials, once the upgraded server is up. */
  native?: string;
  quickChat?: string;
  seed?: string;
}

type TreeMessage = MessageBody;
/** A message as the native API showed it before trees. */
type ListMessage = Omit<MessageBody, 'parent_id' | 'sibling_ids' | 'sibling_index' | 'sibling_count'>;

/** A previous-release message as the native API shows it (before the tree fields). */
function asListed(m: OldMessage): ListMessage {
  const hasUsage = m.prompt_tokens !== null || m.completion_tokens !== null;
  return {
    id: m.id,
    session_id: m.session_id,
    role: m.role,
    content: m.content,
    status: m.status,
    provider: m.provider,
    model: m.model,
    usage: hasUsage ? { prompt_tokens: m.prompt_tokens, completion_tokens: m.completion_tokens } : null,
    error: m.error,
    created_at: m.created_at,
  };
}

/**
 * An answer the previous release left `streaming` was cut by a crash: the upgraded server's start-up sweep
 * marks it `failed`, error `interrupted` (it holds no lease).
 */
function swept(m: ListMessage): ListMessage {
  return m.status === 'streaming' ? { ...m, status: 'failed', error: 'interrupted' } : m;
}

/** A message of the native API without the fields trees added. */
function withoutTree(m: TreeMessage): ListMessage {
  const { parent_id, sibling_ids, sibling_index, sibling_count, ...rest } = m;
  void [parent_id, sibling_ids, sibling_index, sibling_count];
  return rest;
}

/** A session's complete turns, in the order they were asked (`seq`): what its path holds for a context. */
function completeTurns(session: OldSession): string[] {
  return session.messages.flatMap((m) => {
    if (m.role !== 'assistant' || m.status !== 'complete') return [];
    const question = session.messages.find((q) => q.id === m.reply_to) as OldMessage;
    return [question.content, m.content];
  });
}

/** The characters of history a question may draw on beside it and a system prompt (ChatContextService's rule). */
function historyChars(question: string, systemPrompt: string | null): number {
  const fixed = estimateTokens(question) + (systemPrompt ? estimateTokens(systemPrompt) : 0);
  return Math.max(0, CONTEXT_TOKENS - fixed) * 4;
}

/**
 * Issue #22, "Upgrade path": a database made by the previous release's migrations, holding conversations
 * written by the previous release's own statements (two users; several sessions; a failed answer, a
 * streamed one finished after a later turn, one still `streaming` after a crash; an empty session), is
 * upgraded by starting the app on it. Every session then reads back as it was, each as one path: the
 * native pages, the session, both seed routes' views; a new turn in an old session sends the model
 * exactly its earlier complete turns; and the migration's down() gives back the previous schema.
 */
describe('a database of the previous release, upgraded to conversation trees', () => {
  const openai = new OpenAiFake();
  let database: EmptyDatabase;
  let server: RunningServer | undefined;
  let http: TestAgent;
  let alice: User;
  let bob: User;
  let before: OldSession[];
  let schemaBefore: unknown;
  /** The context the previous release would have sent for the next question of the long session. */
  let oldContextOfLong: [string, string][];
  let s: Record<'long' | 'interrupted' | 'empty' | 'failedFirst' | 'bobs', string>;

  const NEXT_QUESTION = 'And what comes next?';
  const SYSTEM_PROMPT = `You are a patient tutor. ${'Explain every step. '.repeat(5)}`;
  const longQuestion = (i: number) => `Question ${i}: ${'why '.repeat((i * 13) % 35)}?`;
  const longAnswer = (i: number) => `Answer ${i}: ${'because '.repeat(((i * 7) % 30) + 3)}.`;

  beforeAll(async () => {
    const { baseUrl } = await openai.start();
    database = await createEmptyDatabase();
    const { db, close } = await openDatabase(database.env, PREVIOUS_MIGRATIONS);
    try {
      await db.runMigrations({ transaction: 'each' });
      const old = new PreviousRelease(db);
      alice = { id: '', username: uniqueUsername('alice') };
      bob = { id: '', username: uniqueUsername('bob') };
      alice.id = await old.createUser(alice.username);
      bob.id = await old.createUser(bob.username);

      // The long session: a system prompt, 20 turns, of which two failed at the provider (4, 15), one
      // was streamed to the end (7), one streamed then cut (17, its partial text kept).
      const long = await old.createSession(alice.id);
      await old.setSystemPrompt(alice.id, long, SYSTEM_PROMPT);
      for (let i = 1; i <= 20; i += 1) {
        const question = longQuestion(i);
        const complete: OldAnswer = { status: 'complete', content: longAnswer(i), usage: [40 + i, 12 + i] };
        if (i === 4 || i === 15) {
          await old.turn(alice.id, long, question, { status: 'failed', content: '', error: PROVIDER_ERROR });
        } else if (i === 7 || i === 17) {
          const { answerId } = await old.turn(alice.id, long, question, { status: 'streaming', content: '' });
          await old.finish(
            answerId,
            question,
            i === 7
              ? complete
              : { status: 'failed', content: 'Because the', error: 'The provider stream was cut.' },
            false,
          );
        } else {
          await old.turn(alice.id, long, question, complete);
        }
      }
      oldContextOfLong = (await old.context(alice.id, long, historyChars(NEXT_QUESTION, SYSTEM_PROMPT)))
        .turns;

      // Interrupted: a streamed answer finished after a turn asked meanwhile (another tab), then a
      // streamed answer the server never finished (it crashed): the upgraded server marks it interrupted.
      const interrupted = await old.createSession(alice.id);
      await old.turn(alice.id, interrupted, 'Bonjour, ça va ?', {
        status: 'complete',
        content: 'Très bien ! 🙂',
      });
      await old.turn(alice.id, interrupted, 'Name a colour.', { status: 'complete', content: 'Teal.' });
      const streamed = await old.turn(alice.id, interrupted, 'A long story, please.', {
        status: 'streaming',
        content: '',
      });
      await old.turn(alice.id, interrupted, 'Meanwhile: 2 + 2?', { status: 'complete', content: '4' });
      await old.finish(
        streamed.answerId,
        'A long story, please.',
        { status: 'complete', content: 'Once upon a time… the end.', usage: [30, 9] },
        false,
      );
      await old.turn(alice.id, interrupted, 'Another story?', { status: 'streaming', content: '' });

      const empty = await old.createSession(alice.id, 'Nothing asked yet');

      // The first turn failed (the provider was down), then two complete ones.
      const failedFirst = await old.createSession(alice.id);
      await old.turn(alice.id, failedFirst, 'Hello?', {
        status: 'failed',
        content: '',
        error: PROVIDER_ERROR,
      });
      await old.turn(alice.id, failedFirst, 'Hello again?', { status: 'complete', content: 'Hi! 👋🏽' });
      await old.turn(alice.id, failedFirst, 'Thanks.', { status: 'complete', content: 'You are welcome.' });

      const bobs = await old.createSession(bob.id, 'Bob’s questions');
      for (const [q, a] of [
        ['What is π?', 'About 3.14159.'],
        ['And e?', 'About 2.71828.'],
        ['Zürich or Genève?', 'Both are lovely.\nReally.'],
      ])
        await old.turn(bob.id, bobs, q, { status: 'complete', content: a, usage: [5, 7] });

      s = { long, interrupted, empty, failedFirst, bobs };
      before = await readPreviousRelease(db);
      schemaBefore = await chatSchema(db);
    } finally {
      await close();
    }

    // The upgrade: the server runs the pending migration as it starts.
    server = await startServer({
      ...database.env,
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: `${baseUrl}/v1`,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
      LLM_CONTEXT_TOKENS: String(CONTEXT_TOKENS),
    });
    http = request(server.baseUrl);
    for (const user of [alice, bob]) {
      const login = await http
        .post('/api/v1/auth/login')
        .send({ username: user.username, password: STRONG_PASSWORD });
      expect(login.status).toBe(200);
      user.native = bearer(login.body.access_token as string);
      user.quickChat = `Token ${await quickChatToken(http, user.username)}`;
      user.seed = bearer(await seedAccessToken(http, user.username));
    }
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
    await openai.stop();
  });

  const session = (id: string) => before.find((x) => x.id === id) as OldSession;
  const ownerOf = (old: OldSession) => (old.userId === alice.id ? alice : bob);

  it('wrote what the cases need: failed, streamed, cut, still streaming, interleaved, empty', () => {
    expect(before.map((x) => x.messages.length)).toEqual([40, 10, 0, 6, 6]);
    const statuses = before.flatMap((x) => x.messages.map((m) => m.status));
    expect(new Set(statuses)).toEqual(new Set(['complete', 'failed', 'streaming']));
    expect(before.map((x) => x.finishedOutOfOrder)).toEqual([false, true, false, false, false]);
    expect(session(s.long).title).toBe(longQuestion(1)); // named by its first complete turn
  });

  it('reads every session back, page by page: the same messages, in order, each following the one before', async () => {
    for (const old of before) {
      const read = await allMessages(http, ownerOf(old).native as string, old.id, 3);
      expect(read.map(withoutTree)).toEqual(old.messages.map(asListed).map(swept));
      expect(read.map((m) => [m.parent_id, m.sibling_ids, m.sibling_index, m.sibling_count])).toEqual(
        old.messages.map((m, i) => [i === 0 ? null : old.messages[i - 1].id, [m.id], 0, 1]),
      );
      // An answer's parent is the question it answered.
      for (const m of old.messages.filter((x) => x.role === 'assistant'))
        expect(read.find((x) => x.id === m.id)?.parent_id).toBe(m.reply_to);
    }
    // Larger pages read the same path.
    const long = session(s.long);
    expect((await allMessages(http, alice.native as string, s.long, 7)).map((m) => m.id)).toEqual(
      long.messages.map((m) => m.id),
    );
  });

  it('shows each session as it was, its last message the active leaf; to its owner only', async () => {
    for (const old of before) {
      const res = await http.get(`${SESSIONS}/${old.id}`).set('Authorization', ownerOf(old).native as string);
      expect(res.status).toBe(200);
      const body = res.body as SessionBody & { active_leaf_id?: string | null };
      expect(body).toMatchObject({
        id: old.id,
        title: old.title,
        system_prompt: old.system_prompt,
        message_count: old.message_count,
        created_at: old.created_at,
        updated_at: old.updated_at,
      });
      expect(body.message_count).toBe(old.messages.length);
      if ('active_leaf_id' in body) expect(body.active_leaf_id).toBe(old.messages.at(-1)?.id ?? null);

      const other = ownerOf(old) === alice ? bob : alice;
      await http
        .get(`${SESSIONS}/${old.id}`)
        .set('Authorization', other.native as string)
        .expect(404);
      await http
        .get(messagesUrl(old.id))
        .set('Authorization', other.native as string)
        .expect(404);
    }
    const listed = await http
      .get(SESSIONS)
      .set('Authorization', alice.native as string)
      .expect(200);
    expect((listed.body.data as SessionBody[]).map((x) => x.id).sort()).toEqual(
      [s.long, s.interrupted, s.empty, s.failedFirst].sort(),
    );
  });

  it("shows the seed routes' histories as before: the quick-chat transcript and the sessions seed's exchanges", async () => {
    for (const old of before) {
      const transcript = await http
        .get(`/api/v1/chat/chats/${old.id}`)
        .set('Authorization', ownerOf(old).quickChat as string);
      expect(transcript.status).toBe(200);
      // The answer left streaming (the interrupted session's last message) is now a failed one, which the
      // transcript leaves out as it does every failed answer.
      expect(transcript.body).toEqual({
        session_id: old.id,
        created_at: old.created_at,
        messages: old.id === s.interrupted ? old.history.slice(0, -1) : old.history,
      });

      const exchanges = await http
        .get(`/chatsessions/${old.id}/messages`)
        .set('Authorization', ownerOf(old).seed as string);
      expect(exchanges.status).toBe(200);
      expect(exchanges.body).toEqual(old.exchanges);
    }
    // The failed answers show as no answer, the one still streaming as what it had ('').
    expect(session(s.failedFirst).exchanges.map((e) => e.response)).toEqual([
      '',
      'Hi! 👋🏽',
      'You are welcome.',
    ]);
    expect(
      session(s.interrupted)
        .history.map((m) => m.content)
        .slice(-2),
    ).toEqual(['Another story?', '']);
  });

  describe('a new turn in an old session', () => {
    const contents = (messages: OpenAiMessage[] | undefined) => (messages ?? []).map((m) => m.content);

    /** Asks over the native API; returns what the model was sent and the session's path afterwards. */
    async function ask(sessionId: string, owner: User, question: string) {
      openai.reply(`Reply to ${question}`);
      const res = await http
        .post(messagesUrl(sessionId))
        .set('Authorization', owner.native as string)
        .send({
          content: question,
        });
      expect(res.status).toBe(201);
      return {
        sent: contents(openai.lastRequest?.body?.messages),
        path: await allMessages(http, owner.native as string, sessionId),
      };
    }

    /** The new question follows the session's last message, its answer follows it, and the count grows by 2. */
    async function expectAppended(old: OldSession, path: TreeMessage[], question: string): Promise<void> {
      expect(path.slice(0, -2).map((m) => m.id)).toEqual(old.messages.map((m) => m.id));
      const [q, a] = path.slice(-2);
      expect([q.content, q.parent_id, q.sibling_count]).toEqual([
        question,
        old.messages.at(-1)?.id ?? null,
        1,
      ]);
      expect([a.content, a.parent_id, a.status]).toEqual([`Reply to ${question}`, q.id, 'complete']);
      const shown = await http
        .get(`${SESSIONS}/${old.id}`)
        .set('Authorization', ownerOf(old).native as string);
      expect(shown.body.message_count).toBe(old.message_count + 2);
    }

    it('the long session: the newest complete turns that fit, as the previous release chose them, failed ones left out', async () => {
      const old = session(s.long);
      // The budget cut the oldest turns; the window spans the failed turn 15 and the cut turn 17.
      expect(oldContextOfLong.length).toBeGreaterThan(3);
      expect(oldContextOfLong.length).toBeLessThan(16);
      const asked = oldContextOfLong.map(([q]) => q);
      expect(asked).toEqual(expect.arrayContaining([longQuestion(14), longQuestion(16), longQuestion(20)]));
      expect(asked).not.toContain(longQuestion(15));
      expect(asked).not.toContain(longQuestion(17));

      const { sent, path } = await ask(s.long, alice, NEXT_QUESTION);
      expect(sent).toEqual([SYSTEM_PROMPT, ...oldContextOfLong.flat(), NEXT_QUESTION]);
      // The same turns as the rule gives from the path: the newest complete ones, oldest first.
      expect(oldContextOfLong.flat()).toEqual(completeTurns(old).slice(-2 * oldContextOfLong.length));
      await expectAppended(old, path, NEXT_QUESTION);
    });

    it('a session with a streamed answer finished late and one never finished: the complete turns in the order asked', async () => {
      const old = session(s.interrupted);
      const { sent, path } = await ask(s.interrupted, alice, 'Still there?');
      // The previous release sent the late-finished turn after the one asked meanwhile (its running
      // total's order); the path sends the turns in the order they were asked.
      expect(sent).toEqual([
        'Bonjour, ça va ?',
        'Très bien ! 🙂',
        'Name a colour.',
        'Teal.',
        'A long story, please.',
        'Once upon a time… the end.',
        'Meanwhile: 2 + 2?',
        '4',
        'Still there?',
      ]);
      expect(sent.slice(0, -1)).toEqual(completeTurns(old));
      await expectAppended(old, path, 'Still there?');
    });

    it('a session whose first answer failed: the complete turns only', async () => {
      const old = session(s.failedFirst);
      const { sent, path } = await ask(s.failedFirst, alice, 'Bye.');
      expect(sent).toEqual(['Hello again?', 'Hi! 👋🏽', 'Thanks.', 'You are welcome.', 'Bye.']);
      await expectAppended(old, path, 'Bye.');
    });

    it('the empty session, through the quick-chat route: a first question, nothing before it', async () => {
      const old = session(s.empty);
      openai.reply('Reply to First!');
      const res = await http
        .post('/api/v1/chat/')
        .set('Authorization', alice.quickChat as string)
        .send({ session_id: s.empty, message: 'First!' });
      expect(res.status).toBe(200);
      expect(contents(openai.lastRequest?.body?.messages)).toEqual(['First!']);
      await expectAppended(old, await allMessages(http, alice.native as string, s.empty), 'First!');
    });

    it("another user's session, through the sessions seed's route: all its turns", async () => {
      const old = session(s.bobs);
      openai.reply('Reply to One more?');
      const res = await http
        .post(`/chatsessions/${s.bobs}/messages`)
        .set('Authorization', bob.seed as string)
        .send({ prompt: 'One more?' });
      expect(res.status).toBe(201);
      expect(contents(openai.lastRequest?.body?.messages)).toEqual([...completeTurns(old), 'One more?']);
      await expectAppended(old, await allMessages(http, bob.native as string, s.bobs), 'One more?');
    });
  });

  it("the migration's down() gives back the previous schema, reply_to and the running totals", async () => {
    expect(await server?.stop()).toBe(0); // the embedded database admits one process
    server = undefined;
    const { db, close } = await openDatabase(database.env, MIGRATIONS);
    try {
      // The migrations after the trees' first (the newest first), then the trees' own.
      for (let i = PREVIOUS_MIGRATIONS.length; i < MIGRATIONS.length; i += 1)
        await db.undoLastMigration({ transaction: 'each' });
      expect(await chatSchema(db)).toEqual(schemaBefore);

      const messages = await db.query<
        {
          id: string;
          session_id: string;
          reply_to: string | null;
          turn_start: string | null;
          content: string;
          status: string;
        }[]
      >('SELECT id, session_id, reply_to, turn_start::text, content, status FROM messages ORDER BY seq');
      const sessions = await db.query<{ id: string; context_chars: string; message_count: number }[]>(
        'SELECT id, context_chars::text, message_count FROM chat_sessions',
      );
      for (const old of before) {
        const now = messages.filter((m) => m.session_id === old.id);
        expect(now.slice(0, old.messages.length).map((m) => [m.id, m.reply_to])).toEqual(
          old.messages.map((m) => [m.id, m.reply_to]),
        );
        // The running totals in seq order: as written, but for a streamed turn that finished after a
        // later one (its total was counted when it finished).
        if (!old.finishedOutOfOrder) {
          expect(now.slice(0, old.messages.length).map((m) => m.turn_start)).toEqual(
            old.messages.map((m) => m.turn_start),
          );
        }
        // Each session got one more complete turn since.
        const [q, a] = now.slice(-2);
        expect(now).toHaveLength(old.messages.length + 2);
        expect(a.reply_to).toBe(q.id);
        const total = sessions.find((x) => x.id === old.id);
        expect(total).toEqual({
          id: old.id,
          context_chars: String(Number(old.context_chars) + q.content.length + a.content.length + 32),
          message_count: old.message_count + 2,
        });
      }
    } finally {
      await close();
    }
  });
});
