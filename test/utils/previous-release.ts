import { hash } from '@node-rs/argon2';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { isoFromTimestamptz } from '../../src/database/timestamps.js';
import { typeOrmOptions } from '../../src/database/typeorm-options.js';
import { STRONG_PASSWORD } from './auth-helpers.js';
import { usingPostgresServer } from './test-app.js';

/*
 * The release before conversation trees, for the upgrade test (upgrade-trees.e2e-spec.ts): a database
 * written as it wrote one, and read as its API showed it.
 */

/**
 * The previous release's statements (5b4c169, src/messages/messages.service.ts and
 * src/chat-sessions/chat-sessions.service.ts), verbatim: the data is written exactly as that code wrote
 * it, running totals (`context_chars`, `turn_start`) and `reply_to` included, and its read views are
 * what its API showed.
 */
const OLD_COLUMNS = `id, seq, session_id, role, content, status, reply_to, provider, model,
  prompt_tokens, completion_tokens, latency_ms, error, created_at`;
const oldTurnChars = (question: string, answer: string) => `length(${question}) + length(${answer}) + 32`;
const oldTurnsIn = (from: string, to: string) =>
  `(SELECT content, reply_to, turn_start FROM messages
     WHERE session_id = s.id AND turn_start >= ${from} AND turn_start < ${to}
     ORDER BY turn_start DESC LIMIT $4)`;
const OLD = {
  insertSession: `INSERT INTO chat_sessions (user_id, title, system_prompt, provider, model) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, user_id, title, system_prompt, provider, model, message_count,
  created_at, updated_at`,
  /** ChatSessionsService.update's statement for `{system_prompt}`. */
  setSystemPrompt: `UPDATE chat_sessions SET system_prompt = $3, updated_at = now()
        WHERE id = $1 AND user_id = $2 RETURNING id`,
  context: `WITH s AS (
           SELECT id, title, system_prompt, provider, model, context_chars
             FROM chat_sessions WHERE id = $1 AND user_id = $2
         )
         SELECT title, system_prompt, provider, model, context_chars, clock_timestamp() AS asked_at,
                NULL AS prompt, NULL AS answer, NULL::bigint AS turn_start
           FROM s
         UNION ALL
         SELECT NULL, NULL, NULL, NULL, NULL, NULL, q.content, a.content, a.turn_start
           FROM s,
                LATERAL ${oldTurnsIn('s.context_chars - $3::bigint', 's.context_chars')} a
           JOIN messages q ON q.id = a.reply_to
          ORDER BY turn_start NULLS FIRST`,
  turn: `WITH turn AS (
           SELECT CASE WHEN $5::text = 'complete' THEN ${oldTurnChars('$2::text', '$4::text')} END AS chars
         ), bumped AS (
           UPDATE chat_sessions SET message_count = message_count + 2, updated_at = now(),
                  title = COALESCE(title, $12), context_chars = context_chars + COALESCE((SELECT chars FROM turn), 0)
            WHERE id = $1
           RETURNING context_chars
         ), question AS (
           INSERT INTO messages (session_id, role, content, status, created_at)
           SELECT $1, 'user', $2, 'complete', $3 FROM bumped
           RETURNING ${OLD_COLUMNS}
         ), answer AS (
           INSERT INTO messages (session_id, role, content, status, reply_to, provider, model,
                                 prompt_tokens, completion_tokens, latency_ms, error, turn_start)
           SELECT $1, 'assistant', $4, $5, question.id, $6, $7, $8, $9, $10, $11,
                  bumped.context_chars - (SELECT chars FROM turn)
             FROM question, bumped
           RETURNING ${OLD_COLUMNS}
         )
         SELECT * FROM question UNION ALL SELECT * FROM answer`,
  finish: `WITH turn AS (
           SELECT a.session_id AS turn_session,
                  CASE WHEN $3::text = 'complete' THEN ${oldTurnChars('q.content', '$2::text')} END AS chars
             FROM messages a JOIN messages q ON q.id = a.reply_to
            WHERE a.id = $1 AND a.status = 'streaming'
         ), bumped AS (
           UPDATE chat_sessions c SET title = COALESCE(c.title, $9), context_chars = c.context_chars + COALESCE(turn.chars, 0)
             FROM turn
            WHERE c.id = turn.turn_session AND ($9::text IS NOT NULL OR turn.chars IS NOT NULL)
           RETURNING c.context_chars
         ), finished AS (
           UPDATE messages SET content = $2, status = $3, model = $4, prompt_tokens = $5, completion_tokens = $6,
                  latency_ms = $7, error = $8, turn_start = (SELECT context_chars FROM bumped) - turn.chars
             FROM turn
            WHERE id = $1 RETURNING ${OLD_COLUMNS}
         )
         SELECT * FROM finished`,
  history: `SELECT ${OLD_COLUMNS} FROM messages WHERE session_id = $1 AND status <> 'failed' ORDER BY seq`,
  exchanges: `SELECT q.id, q.session_id, q.content AS prompt, a.content AS response, q.created_at
           FROM messages q LEFT JOIN messages a ON a.reply_to = q.id AND a.status <> 'failed'
          WHERE q.session_id = $1 AND q.role = 'user'
          ORDER BY q.seq`,
};

/** What the previous release's MessagesService.addTurn/finishAnswer were given for an answer. */
export interface OldAnswer {
  status: 'complete' | 'failed' | 'streaming';
  content: string;
  model?: string;
  usage?: [number, number];
  error?: string;
}

/** The previous release, writing through its own statements on a database of its schema. */
export class PreviousRelease {
  constructor(private readonly db: DataSource) {}

  async createUser(username: string): Promise<string> {
    const passwordHash = await hash(STRONG_PASSWORD, {
      algorithm: 2,
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
    const [{ id }] = await this.db.query<{ id: string }[]>(
      'INSERT INTO users (username, password_hash) VALUES ($1, $2) RETURNING id',
      [username, passwordHash],
    );
    return id;
  }

  async createSession(userId: string, title: string | null = null): Promise<string> {
    const [{ id }] = await this.db.query<{ id: string }[]>(OLD.insertSession, [
      userId,
      title,
      null,
      null,
      null,
    ]);
    return id;
  }

  async setSystemPrompt(userId: string, sessionId: string, prompt: string): Promise<void> {
    await this.db.query(OLD.setSystemPrompt, [sessionId, userId, prompt]);
  }

  /** The previous CONTEXT read: the session's first row, then the turns that fit `historyChars`, oldest first. */
  async context(
    userId: string,
    sessionId: string,
    historyChars: number,
  ): Promise<{ title: string | null; askedAt: Date; turns: [string, string][] }> {
    const [session, ...turns] = await this.db.query<
      { title: string | null; asked_at: Date; prompt: string; answer: string }[]
    >(OLD.context, [sessionId, userId, historyChars, 200]);
    return {
      title: session.title,
      askedAt: session.asked_at,
      turns: turns.map((t) => [t.prompt, t.answer]),
    };
  }

  /**
   * A turn as ChatTurnService (plain) or ChatStreamService (`streaming`, finished later by {@link finish})
   * stored it: the context read first (its clock is the question's time), then the question with its answer;
   * a complete answer names an untitled session after its question.
   */
  async turn(
    userId: string,
    sessionId: string,
    question: string,
    answer: OldAnswer,
  ): Promise<{ questionId: string; answerId: string }> {
    const { title, askedAt } = await this.context(userId, sessionId, 0);
    const rows = await this.db.query<{ id: string; role: string }[]>(OLD.turn, [
      sessionId,
      question,
      askedAt,
      answer.content,
      answer.status,
      'openai',
      answer.model ?? 'gpt-4o-mini',
      answer.usage?.[0] ?? null,
      answer.usage?.[1] ?? null,
      answer.status === 'streaming' ? null : 700 + question.length,
      answer.error ?? null,
      answer.status === 'complete' && title === null ? question : null,
    ]);
    const idOf = (role: string) => rows.find((r) => r.role === role)?.id as string;
    return { questionId: idOf('user'), answerId: idOf('assistant') };
  }

  /** A `streaming` answer completed (or failed, keeping its partial text) as ChatStreamService did. */
  async finish(answerId: string, question: string, answer: OldAnswer, untitled: boolean): Promise<void> {
    await this.db.query(OLD.finish, [
      answerId,
      answer.content,
      answer.status,
      answer.model ?? 'gpt-4o-mini-2024-07-18',
      answer.usage?.[0] ?? null,
      answer.usage?.[1] ?? null,
      1_500 + answer.content.length,
      answer.error ?? null,
      answer.status === 'complete' && untitled ? question : null,
    ]);
  }
}

/** A message row of the previous schema, timestamps as the previous API formatted them. */
export interface OldMessage {
  id: string;
  session_id: string;
  role: 'user' | 'assistant';
  content: string;
  status: 'complete' | 'failed' | 'streaming';
  reply_to: string | null;
  provider: string | null;
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  error: string | null;
  created_at: string;
  turn_start: string | null;
}

/** A session as the previous release left it, and as its API showed it. */
export interface OldSession {
  id: string;
  userId: string;
  title: string | null;
  system_prompt: string | null;
  message_count: number;
  context_chars: string;
  created_at: string;
  updated_at: string;
  messages: OldMessage[];
  /** The quick-chat transcript's messages (HISTORY). */
  history: { role: string; content: string; timestamp: string }[];
  /** The sessions seed's exchanges (EXCHANGES). */
  exchanges: { id: string; session: string; prompt: string; response: string; created_at: string }[];
  /** A streamed answer finished after a later turn was stored: its running total is not in `seq` order. */
  finishedOutOfOrder: boolean;
}

/** The schema of the chat tables: columns, indexes and constraints, for comparing two databases. */
export async function chatSchema(db: DataSource): Promise<unknown> {
  const tables = `('chat_sessions', 'messages')`;
  return {
    columns: await db.query(
      `SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity
         FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name IN ${tables} ORDER BY table_name, column_name`,
    ),
    indexes: await db.query(
      `SELECT indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename IN ${tables} ORDER BY indexname`,
    ),
    constraints: await db.query(
      `SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition
         FROM pg_constraint WHERE conrelid IN ('chat_sessions'::regclass, 'messages'::regclass)
        ORDER BY conname`,
    ),
  };
}

/** The chat tables' rows as the previous release left them, with its API's views of them. */
export async function readPreviousRelease(db: DataSource): Promise<OldSession[]> {
  const sessions = await db.query<
    (Omit<OldSession, 'userId' | 'messages' | 'history' | 'exchanges'> & {
      user_id: string;
    })[]
  >(
    `SELECT id, user_id, title, system_prompt, message_count, context_chars::text,
            created_at::text AS created_at, updated_at::text AS updated_at
       FROM chat_sessions ORDER BY created_at`,
  );
  return Promise.all(
    sessions.map(async ({ user_id, ...session }) => {
      const messages = await db.query<OldMessage[]>(
        `SELECT id, session_id, role, content, status, reply_to, provider, model, prompt_tokens,
                completion_tokens, error, created_at::text AS created_at, turn_start::text
           FROM messages WHERE session_id = $1 ORDER BY seq`,
        [session.id],
      );
      const history = await db.query<{ role: string; content: string; created_at: string }[]>(
        OLD.history.replace('created_at FROM', 'created_at::text AS created_at FROM'),
        [session.id],
      );
      const exchanges = await db.query<
        { id: string; session_id: string; prompt: string; response: string | null; created_at: string }[]
      >(OLD.exchanges.replace('q.created_at', 'q.created_at::text AS created_at'), [session.id]);
      const answerSeq = messages.filter((m) => m.turn_start !== null).map((m) => Number(m.turn_start));
      return {
        ...session,
        userId: user_id,
        created_at: isoFromTimestamptz(session.created_at),
        updated_at: isoFromTimestamptz(session.updated_at),
        messages: messages.map((m) => ({ ...m, created_at: isoFromTimestamptz(m.created_at) })),
        history: history.map((m) => ({
          role: m.role,
          content: m.content,
          timestamp: isoFromTimestamptz(m.created_at),
        })),
        exchanges: exchanges.map((e) => ({
          id: e.id,
          session: e.session_id,
          prompt: e.prompt,
          response: e.response ?? '',
          created_at: isoFromTimestamptz(e.created_at),
        })),
        finishedOutOfOrder: answerSeq.some((start, i) => i > 0 && start < answerSeq[i - 1]),
      };
    }),
  );
}

/** The database of `env` through TypeORM, with the given migrations (the embedded one opened in-process). */
export async function openDatabase(
  env: Record<string, string>,
  migrations: Function[],
): Promise<{ db: DataSource; close: () => Promise<void> }> {
  const embedded = usingPostgresServer ? undefined : await EmbeddedPostgres.start(env.DATA_DIR);
  const db = new DataSource({
    ...typeOrmOptions(loadConfig({ NODE_ENV: 'test', ...env, DB_POOL_SIZE: '1' }), embedded),
    migrations,
    logging: false,
  });
  try {
    await db.initialize();
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  return {
    db,
    close: async () => {
      await db.destroy();
      await embedded?.stop();
    },
  };
}
