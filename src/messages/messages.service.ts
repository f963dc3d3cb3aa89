import { Injectable } from '@nestjs/common';
import type { ChatSession } from '../chat-sessions/chat-session.js';
import { SessionNotFoundException } from '../chat-sessions/chat-session.errors.js';
import { decodeCursor, encodeCursor, UUID_PATTERN } from '../common/keyset-cursor.js';
import { FOREIGN_KEY_VIOLATION, isoTimestamp, Sql, sqlStateOf, type Statement } from '../database/sql.js';
import type { LlmMessage, LlmProviderName, LlmResult } from '../llm/llm-provider.js';
import type { ListedMessage, Message, MessageRole, MessageStatus } from './message.js';

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

/** A question just stored, and its session as the question left it. */
export interface AskedQuestion {
  question: Message;
  session: ChatSession;
}

export interface NewAnswer {
  replyTo: string;
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
  prompt_tokens, completion_tokens, latency_ms, error, ${isoTimestamp('created_at')} AS created_at`;
const COLUMNS_OF_M = `m.id, m.seq, m.session_id, m.role, m.content, m.status, m.reply_to, m.provider, m.model,
  m.prompt_tokens, m.completion_tokens, m.latency_ms, m.error, ${isoTimestamp('m.created_at')} AS created_at`;

/**
 * A page of a session, if the session is the caller's: one row with null message columns when the page
 * is empty, none when the session is not there.
 */
const PAGE: Statement = {
  name: 'messages_page',
  text: `SELECT s.id AS session_id, m.id, m.seq, m.role, m.content, m.status, m.provider, m.model,
                m.prompt_tokens, m.completion_tokens, m.error, ${isoTimestamp('m.created_at')} AS created_at
           FROM chat_sessions s
           LEFT JOIN LATERAL (
             SELECT * FROM messages WHERE session_id = s.id AND seq > $3 ORDER BY seq LIMIT $4
           ) m ON true
          WHERE s.id = $1 AND s.user_id = $2
          ORDER BY m.seq`,
};
const HISTORY: Statement = {
  name: 'messages_history',
  text: `SELECT ${COLUMNS} FROM messages WHERE session_id = $1 AND status <> 'failed' ORDER BY seq`,
};
const EXCHANGES: Statement = {
  name: 'messages_exchanges',
  text: `SELECT q.id, q.session_id, q.content AS prompt, a.content AS response, ${isoTimestamp('q.created_at')} AS created_at
           FROM messages q LEFT JOIN messages a ON a.reply_to = q.id AND a.status <> 'failed'
          WHERE q.session_id = $1 AND q.role = 'user'
          ORDER BY q.seq`,
};
const RECENT_TURNS: Statement = {
  name: 'messages_recent_turns',
  text: `SELECT prompt, answer FROM (
           SELECT q.seq, q.content AS prompt, a.content AS answer,
                  sum(length(q.content) + length(a.content) + 32) OVER (ORDER BY q.seq DESC) AS running_chars
             FROM messages q JOIN messages a ON a.reply_to = q.id AND a.status = 'complete'
            WHERE q.session_id = $1 AND q.role = 'user' AND q.seq < $2
            ORDER BY q.seq DESC
            LIMIT $4
         ) turns
         WHERE running_chars <= $3
         ORDER BY seq`,
};
/**
 * A question, stored only if the session is the caller's, with the session's counters bumped; returns the
 * session as it is now (prefixed `s_`) beside the message.
 */
const ASK: Statement = {
  name: 'messages_ask',
  text: `WITH owned AS (
           SELECT id FROM chat_sessions WHERE id = $1 AND user_id = $2
         ), inserted AS (
           INSERT INTO messages (session_id, role, content, status) SELECT id, 'user', $3, 'complete' FROM owned
           RETURNING *
         ), bumped AS (
           UPDATE chat_sessions c SET message_count = c.message_count + 1, updated_at = now()
             FROM inserted WHERE c.id = inserted.session_id
           RETURNING c.*
         )
         SELECT ${COLUMNS_OF_M}, s.title AS s_title, s.system_prompt AS s_system_prompt, s.provider AS s_provider,
                s.model AS s_model, s.message_count AS s_message_count,
                ${isoTimestamp('s.created_at')} AS s_created_at, ${isoTimestamp('s.updated_at')} AS s_updated_at
           FROM inserted m, bumped s`,
};
/** An answer, with the session's counters bumped and, when it has none, its title set ($10; null: left). */
const ANSWER: Statement = {
  name: 'messages_answer',
  text: `WITH inserted AS (
           INSERT INTO messages (session_id, role, content, status, reply_to, provider, model,
                                 prompt_tokens, completion_tokens, latency_ms, error)
           VALUES ($1, 'assistant', $2, $3, $4, $5, $6, $7, $8, $9, $11)
           RETURNING ${COLUMNS}
         ), bumped AS (
           UPDATE chat_sessions SET message_count = message_count + 1, updated_at = now(),
                  title = COALESCE(title, $10)
            WHERE id = $1
         )
         SELECT * FROM inserted`,
};
/** Completes (or fails) a `streaming` answer; sets the session's title as ANSWER does. */
const FINISH: Statement = {
  name: 'messages_finish',
  text: `WITH finished AS (
           UPDATE messages SET content = $2, status = $3, model = $4, prompt_tokens = $5, completion_tokens = $6,
                  latency_ms = $7, error = $8
            WHERE id = $1 RETURNING ${COLUMNS}
         ), titled AS (
           UPDATE chat_sessions SET title = COALESCE(title, $9)
            WHERE $9::text IS NOT NULL AND id = (SELECT session_id FROM finished)
         )
         SELECT * FROM finished`,
};

type SeqKey = [string];
const isSeqKey = (key: unknown[]): key is SeqKey =>
  key.length === 1 && typeof key[0] === 'string' && /^\d{1,19}$/.test(key[0]);

/**
 * Message storage. Each write is one statement that also bumps the session's count and activity,
 * so a session's counters never drift from its messages.
 */
@Injectable()
export class MessagesService {
  constructor(private readonly sql: Sql) {}

  /**
   * Stores a question in one of the caller's sessions and returns it with the session as it is now.
   * SessionNotFoundException when the session is not the caller's.
   */
  async ask(userId: string, sessionId: string, content: string): Promise<AskedQuestion> {
    if (!UUID_PATTERN.test(sessionId)) throw new SessionNotFoundException();
    const [row] = await this.sql.rows<MessageRow & SessionColumns>(ASK, [sessionId, userId, content]);
    if (!row) throw new SessionNotFoundException();
    return {
      question: toMessage(row),
      session: {
        id: row.session_id,
        userId,
        title: row.s_title,
        systemPrompt: row.s_system_prompt,
        provider: row.s_provider,
        model: row.s_model,
        messageCount: row.s_message_count,
        createdAt: row.s_created_at,
        updatedAt: row.s_updated_at,
      },
    };
  }

  async addAnswer(sessionId: string, answer: NewAnswer): Promise<Message> {
    const rows = await this.sql
      .rows<MessageRow>(ANSWER, [
        sessionId,
        answer.content,
        answer.status,
        answer.replyTo,
        answer.provider,
        answer.model,
        answer.result?.usage?.promptTokens ?? null,
        answer.result?.usage?.completionTokens ?? null,
        answer.latencyMs ?? null,
        answer.sessionTitle ?? null,
        answer.error ?? null,
      ])
      .catch((error: unknown) => {
        throw sqlStateOf(error) === FOREIGN_KEY_VIOLATION ? new SessionNotFoundException() : error; // deleted meanwhile
      });
    return toMessage(rows[0]);
  }

  /** Completes (or fails) an answer stored as `streaming`. */
  async finishAnswer(id: string, answer: Omit<NewAnswer, 'replyTo' | 'provider'>): Promise<Message> {
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
    const rows = await this.sql.rows<Nullable<PageRow>>(PAGE, [sessionId, userId, after, limit + 1]);
    if (rows.length === 0) throw new SessionNotFoundException();
    const found = rows.filter((row): row is PageRow => row.id !== null);
    const messages = found.slice(0, limit).map(toListedMessage);
    const last = messages.at(-1);
    return { messages, nextCursor: found.length > limit && last ? encodeCursor([last.seq]) : null };
  }

  /** A whole session's messages, oldest first, failed answers left out (the quick-chat seed's history view). */
  async history(sessionId: string): Promise<Message[]> {
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

  /**
   * The latest complete turns (question and its complete answer) before `beforeSeq`, oldest first,
   * as many as fit `budgetChars`. Reads at most `maxTurns` turns, newest first, whatever the history's length.
   */
  async recentTurns(
    sessionId: string,
    beforeSeq: string,
    budgetChars: number,
    maxTurns = 200,
  ): Promise<LlmMessage[]> {
    const rows = await this.sql.rows<{ prompt: string; answer: string }>(RECENT_TURNS, [
      sessionId,
      beforeSeq,
      budgetChars,
      maxTurns,
    ]);
    return rows.flatMap((r) => [
      { role: 'user' as const, content: r.prompt },
      { role: 'assistant' as const, content: r.answer },
    ]);
  }
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

/** A row of {@link PAGE}: the columns the API shows. */
type PageRow = Omit<MessageRow, 'reply_to' | 'latency_ms'>;

/** The session columns {@link ASK} returns beside the question. */
interface SessionColumns {
  s_title: string | null;
  s_system_prompt: string | null;
  s_provider: LlmProviderName | null;
  s_model: string | null;
  s_message_count: number;
  s_created_at: string;
  s_updated_at: string;
}

function toListedMessage(row: PageRow): ListedMessage {
  return {
    id: row.id,
    seq: row.seq,
    sessionId: row.session_id,
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

function toMessage(row: MessageRow): Message {
  return { ...toListedMessage(row), replyTo: row.reply_to, latencyMs: row.latency_ms };
}
