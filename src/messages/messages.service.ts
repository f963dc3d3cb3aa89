import { Injectable } from '@nestjs/common';
import type { ChatSessionRecord } from '../chat-sessions/chat-session.js';
import { SessionNotFoundException } from '../chat-sessions/chat-session.errors.js';
import { ChatSessionsService } from '../chat-sessions/chat-sessions.service.js';
import { decodeCursor, encodeCursor, isInt8Text, UUID_PATTERN } from '../common/keyset-cursor.js';
import { Sql, type Statement } from '../database/sql.js';
import type { LlmMessage, LlmProviderName, LlmResult } from '../llm/llm-provider.js';
import type { ListedMessage, MessageRecord, MessageRole, MessageStatus } from './message.js';

export interface MessagePage {
  messages: ListedMessage[];
  nextCursor: string | null;
}

/** A question and its answer, as the sessions seed shows them. */
export interface Exchange {
  id: string;
  sessionId: string;
  prompt: string;
  response: string;
  createdAt: string;
}

/** A session as a turn in it needs it: what its context and its provider call depend on. */
export type TurnSession = Pick<ChatSessionRecord, 'id' | 'title' | 'systemPrompt' | 'provider' | 'model'>;

/** What a question's context draws on, read before anything of its turn is stored. */
export interface ContextRead {
  session: TurnSession;
  /** When the question was asked, by the database's clock: the question is stored with this time. */
  askedAt: string;
  /** The session's running total of complete turns' characters. */
  contextChars: number;
  /** The complete turns, oldest first, that fit the history budget given to {@link MessagesService.readContext}. */
  turns: EarlierTurn[];
}

/**
 * A complete turn. `turnStart` is the session's running total before the turn was counted: the turn and
 * every later one take `contextChars - turnStart` characters of a context.
 */
export interface EarlierTurn {
  /** The question and its answer as the provider is sent them. */
  question: LlmMessage;
  answer: LlmMessage;
  turnStart: number;
}

/** The most turns a context draws on, however many fit its budget. */
export const MAX_CONTEXT_TURNS = 200;

/** A question, stored with its answer. */
export interface NewQuestion {
  content: string;
  askedAt: string;
}

export interface NewAnswer {
  provider: string;
  model: string | null;
  status: MessageStatus;
  content: string;
  result?: Pick<LlmResult, 'usage'>;
  latencyMs?: number;
  error?: string | null;
  /** The session's title if it has none yet (a complete answer names an untitled session). */
  sessionTitle?: string | null;
}

interface MessageRow {
  id: string;
  seq: string;
  session_id: string;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  reply_to: string | null;
  provider: string | null;
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  latency_ms: number | null;
  error: string | null;
  created_at: string;
}

const COLUMNS = `id, seq, session_id, role, content, status, reply_to, provider, model,
  prompt_tokens, completion_tokens, latency_ms, error, created_at`;
/**
 * A page of a session's messages if the session is the caller's: the ownership is a one-time filter, so
 * there is no join to plan or sort above the index scan; no rows is an empty page or another's session.
 * The messages are looked up by `$1`, a value the planner sees: planned for an average session, a long
 * session's page was a bitmap scan of all its messages and a sort (24 ms instead of 0.3 for 43,000).
 */
const PAGE: Statement = {
  name: 'messages_page',
  text: `SELECT id, seq, role, content, status, provider, model, prompt_tokens, completion_tokens, error,
                created_at
           FROM messages
          WHERE session_id = $1 AND seq > $3
            AND EXISTS (SELECT FROM chat_sessions WHERE id = $1 AND user_id = $2)
          ORDER BY seq LIMIT $4`,
};
const HISTORY: Statement = {
  name: 'messages_history',
  text: `SELECT ${COLUMNS} FROM messages WHERE session_id = $1 AND status <> 'failed' ORDER BY seq`,
};
const EXCHANGES: Statement = {
  name: 'messages_exchanges',
  text: `SELECT q.id, q.session_id, q.content AS prompt, a.content AS response, q.created_at
           FROM messages q LEFT JOIN messages a ON a.reply_to = q.id AND a.status <> 'failed'
          WHERE q.session_id = $1 AND q.role = 'user'
          ORDER BY q.seq`,
};
/**
 * A complete turn's cost in the context budget (both texts plus a per-turn allowance); sessions keep a
 * running total of it (`context_chars`), and each complete answer the total before its turn (`turn_start`).
 */
const turnChars = (question: string, answer: string) => `length(${question}) + length(${answer}) + 32`;
/** A session's complete turns, newest first, with `turn_start` in [$from, $to), at most $4. */
const turnsIn = (from: string, to: string) =>
  `(SELECT content, reply_to, turn_start FROM messages
     WHERE session_id = s.id AND turn_start >= ${from} AND turn_start < ${to}
     ORDER BY turn_start DESC LIMIT $4)`;
/**
 * A session of the caller's as a turn needs it, and the clock, in the first row; in the rows after it, the
 * turns a context can draw on, oldest first: the newest complete turns (at most $4) whose characters,
 * with every later turn's, fit $3. The session's running total finds them, so only those turns are read,
 * however long the history.
 * Nothing is written: the question is stored with its answer ({@link TURN}), after the provider call.
 */
const CONTEXT: Statement = {
  name: 'messages_context',
  text: `WITH s AS (
           SELECT id, title, system_prompt, provider, model, context_chars
             FROM chat_sessions WHERE id = $1 AND user_id = $2
         )
         SELECT title, system_prompt, provider, model, context_chars, clock_timestamp() AS asked_at,
                NULL AS prompt, NULL AS answer, NULL::bigint AS turn_start
           FROM s
         UNION ALL
         SELECT NULL, NULL, NULL, NULL, NULL, NULL, q.content, a.content, a.turn_start
           FROM s,
                LATERAL ${turnsIn('s.context_chars - $3::bigint', 's.context_chars')} a
           JOIN messages q ON q.id = a.reply_to
          ORDER BY turn_start NULLS FIRST`,
};
/**
 * A turn: the question ($2, asked at $3) and its answer, stored together, with the session's counters
 * bumped once and, when it has no title, its title set ($12; null: left). A complete answer adds the
 * turn to the session's context total. The session's row is updated first, so the session cannot be
 * deleted under the inserts; no rows: the session is gone. The question is inserted before the answer
 * (the answer's insert reads the question's row), so its `seq` is the lower.
 * One statement and one session update per turn, not one each for the question and the answer (the
 * session's row was rewritten twice per turn, never as a HOT update): PostgreSQL's CPU per turn went
 * from 0.42–0.55 ms to 0.29–0.30 in a harness of the statements alone, 0.46–0.48 to 0.37–0.39 per POST
 * in the bench.
 */
const TURN: Statement = {
  name: 'messages_turn',
  text: `WITH turn AS (
           SELECT CASE WHEN $5::text = 'complete' THEN ${turnChars('$2::text', '$4::text')} END AS chars
         ), bumped AS (
           UPDATE chat_sessions SET message_count = message_count + 2, updated_at = now(),
                  title = COALESCE(title, $12), context_chars = context_chars + COALESCE((SELECT chars FROM turn), 0)
            WHERE id = $1
           RETURNING context_chars
         ), question AS (
           INSERT INTO messages (session_id, role, content, status, created_at)
           SELECT $1, 'user', $2, 'complete', $3 FROM bumped
           RETURNING ${COLUMNS}
         ), answer AS (
           INSERT INTO messages (session_id, role, content, status, reply_to, provider, model,
                                 prompt_tokens, completion_tokens, latency_ms, error, turn_start)
           SELECT $1, 'assistant', $4, $5, question.id, $6, $7, $8, $9, $10, $11,
                  bumped.context_chars - (SELECT chars FROM turn)
             FROM question, bumped
           RETURNING ${COLUMNS}
         )
         SELECT * FROM question UNION ALL SELECT * FROM answer`,
};
/**
 * Completes (or fails) a `streaming` answer; sets the session's title as TURN does, and a complete
 * answer adds its turn to the session's context total.
 */
const FINISH: Statement = {
  name: 'messages_finish',
  text: `WITH turn AS (
           SELECT a.session_id AS turn_session,
                  CASE WHEN $3::text = 'complete' THEN ${turnChars('q.content', '$2::text')} END AS chars
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
            WHERE id = $1 RETURNING ${COLUMNS}
         )
         SELECT * FROM finished`,
};

type SeqKey = [string];
const isSeqKey = (key: unknown[]): key is SeqKey => key.length === 1 && isInt8Text(key[0]);

/**
 * Message storage. Each write is one statement that also bumps the session's count and activity,
 * so a session's counters never drift from its messages.
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly sql: Sql,
    private readonly sessions: ChatSessionsService,
  ) {}

  /**
   * One of the caller's sessions as a turn needs it, and the complete turns before a new question that
   * fit `historyChars` (at most MAX_CONTEXT_TURNS). SessionNotFoundException when the session is not the caller's.
   */
  async readContext(userId: string, sessionId: string, historyChars: number): Promise<ContextRead> {
    if (!UUID_PATTERN.test(sessionId)) throw new SessionNotFoundException();
    const [row, ...turns] = await this.sql.rows<SessionColumns & TurnColumns>(CONTEXT, [
      sessionId,
      userId,
      historyChars,
      MAX_CONTEXT_TURNS,
    ]);
    if (!row) throw new SessionNotFoundException();
    return {
      session: {
        id: sessionId,
        title: row.title,
        systemPrompt: row.system_prompt,
        provider: row.provider,
        model: row.model,
      },
      askedAt: row.asked_at,
      contextChars: Number(row.context_chars),
      turns: turns.map((turn) => ({
        question: { role: 'user', content: turn.prompt },
        answer: { role: 'assistant', content: turn.answer },
        turnStart: Number(turn.turn_start),
      })),
    };
  }

  /**
   * Stores a question with its answer (or, for a streamed answer, its `streaming` placeholder).
   * SessionNotFoundException when the session is gone.
   */
  async addTurn(
    sessionId: string,
    question: NewQuestion,
    answer: NewAnswer,
  ): Promise<{ question: MessageRecord; answer: MessageRecord }> {
    const rows = await this.sql.rows<MessageRow>(TURN, [
      sessionId,
      question.content,
      question.askedAt,
      answer.content,
      answer.status,
      answer.provider,
      answer.model,
      answer.result?.usage?.promptTokens ?? null,
      answer.result?.usage?.completionTokens ?? null,
      answer.latencyMs ?? null,
      answer.error ?? null,
      answer.sessionTitle ?? null,
    ]);
    const questionRow = rows.find((row) => row.role === 'user');
    const answerRow = rows.find((row) => row.role === 'assistant');
    if (!questionRow || !answerRow) throw new SessionNotFoundException(); // the session was deleted meanwhile
    return { question: toMessage(questionRow), answer: toMessage(answerRow) };
  }

  /** Completes (or fails) an answer stored as `streaming`. */
  async finishAnswer(id: string, answer: Omit<NewAnswer, 'provider'>): Promise<MessageRecord> {
    const [row] = await this.sql.rows<MessageRow>(FINISH, [
      id,
      answer.content,
      answer.status,
      answer.model,
      answer.result?.usage?.promptTokens ?? null,
      answer.result?.usage?.completionTokens ?? null,
      answer.latencyMs ?? null,
      answer.error ?? null,
      answer.sessionTitle ?? null,
    ]);
    if (!row) throw new SessionNotFoundException(); // the session (and its messages) was deleted meanwhile
    return toMessage(row);
  }

  /**
   * One of the caller's sessions' messages, oldest first, `limit` at a time after the cursor of the
   * previous page. SessionNotFoundException when the session is not the caller's.
   */
  async page(userId: string, sessionId: string, limit: number, cursor?: string): Promise<MessagePage> {
    if (!UUID_PATTERN.test(sessionId)) throw new SessionNotFoundException();
    const after = cursor ? decodeCursor(cursor, isSeqKey)[0] : '0';
    const rows = await this.sql.rows<PageRow>(PAGE, [sessionId, userId, after, limit + 1]);
    if (rows.length === 0) await this.sessions.get(userId, sessionId); // 404 unless it is the caller's
    const messages = rows.slice(0, limit).map((row) => toListedMessage(row, sessionId));
    const last = messages.at(-1);
    return { messages, nextCursor: rows.length > limit && last ? encodeCursor([last.seq]) : null };
  }

  /** A whole session's messages, oldest first, failed answers left out (the quick-chat seed's history view). */
  async history(sessionId: string): Promise<MessageRecord[]> {
    return (await this.sql.rows<MessageRow>(HISTORY, [sessionId])).map(toMessage);
  }

  /** Each question with its answer ('' while none), oldest first. */
  async exchanges(sessionId: string): Promise<Exchange[]> {
    const rows = await this.sql.rows<{
      id: string;
      session_id: string;
      prompt: string;
      response: string | null;
      created_at: string;
    }>(EXCHANGES, [sessionId]);
    return rows.map((r) => ({
      id: r.id,
      sessionId: r.session_id,
      prompt: r.prompt,
      response: r.response ?? '',
      createdAt: r.created_at,
    }));
  }
}

/** A row of {@link PAGE}: the columns the API shows (the session's id is the caller's argument). */
type PageRow = Omit<MessageRow, 'reply_to' | 'latency_ms' | 'session_id'>;

/** The session columns of {@link CONTEXT}'s first row. */
interface SessionColumns {
  title: string | null;
  system_prompt: string | null;
  provider: LlmProviderName | null;
  model: string | null;
  context_chars: string;
  asked_at: string;
}

/** The turn columns of {@link CONTEXT}'s rows after the first. */
interface TurnColumns {
  prompt: string;
  answer: string;
  turn_start: string;
}

function toListedMessage(row: PageRow, sessionId: string): ListedMessage {
  return {
    id: row.id,
    seq: row.seq,
    sessionId,
    role: row.role,
    content: row.content,
    status: row.status,
    provider: row.provider,
    model: row.model,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    error: row.error,
    createdAt: row.created_at,
  };
}

function toMessage(row: MessageRow): MessageRecord {
  return { ...toListedMessage(row, row.session_id), replyTo: row.reply_to, latencyMs: row.latency_ms };
}
