import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { SessionNotFoundException } from '../chat-sessions/chat-session.errors.js';
import { decodeCursor, encodeCursor } from '../common/keyset-cursor.js';
import type { LlmMessage, LlmResult } from '../llm/llm-provider.js';
import type { Message, MessageRole, MessageStatus } from './message.entity.js';

export interface MessagePage {
  messages: Message[];
  nextCursor: string | null;
}

/** A question and its answer, as the sessions seed shows them. */
export interface Exchange {
  id: string;
  sessionId: string;
  prompt: string;
  response: string;
  createdAt: Date;
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
  created_at: Date;
}

const COLUMNS = `id, seq, session_id, role, content, status, reply_to, provider, model,
  prompt_tokens, completion_tokens, latency_ms, error, created_at`;

type SeqKey = [string];
const isSeqKey = (key: unknown[]): key is SeqKey =>
  key.length === 1 && typeof key[0] === 'string' && /^\d{1,19}$/.test(key[0]);

/**
 * Message storage. Each write is one statement that also bumps the session's count and activity,
 * so a session's counters never drift from its messages.
 */
@Injectable()
export class MessagesService {
  constructor(private readonly dataSource: DataSource) {}

  addUserMessage(sessionId: string, content: string): Promise<Message> {
    return this.insert(sessionId, { role: 'user', content, status: 'complete' });
  }

  addAnswer(sessionId: string, answer: NewAnswer): Promise<Message> {
    return this.insert(sessionId, {
      role: 'assistant',
      content: answer.content,
      status: answer.status,
      reply_to: answer.replyTo,
      provider: answer.provider,
      model: answer.model,
      prompt_tokens: answer.result?.usage?.promptTokens ?? null,
      completion_tokens: answer.result?.usage?.completionTokens ?? null,
      latency_ms: answer.latencyMs ?? null,
      error: answer.error ?? null,
    });
  }

  /** Completes (or fails) an answer stored as `streaming`. */
  async finishAnswer(id: string, answer: Omit<NewAnswer, 'replyTo' | 'provider'>): Promise<Message> {
    // For UPDATE … RETURNING, TypeORM's postgres driver answers [rows, affected count].
    const [rows]: [MessageRow[], number] = await this.dataSource.query(
      `UPDATE messages SET content = $2, status = $3, model = $4, prompt_tokens = $5, completion_tokens = $6,
              latency_ms = $7, error = $8
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [
        id,
        answer.content,
        answer.status,
        answer.model,
        answer.result?.usage?.promptTokens ?? null,
        answer.result?.usage?.completionTokens ?? null,
        answer.latencyMs ?? null,
        answer.error ?? null,
      ],
    );
    if (!rows[0]) throw new SessionNotFoundException(); // the session (and its messages) was deleted meanwhile
    return toMessage(rows[0]);
  }

  /** Oldest first, `limit` at a time, after the cursor of the previous page. */
  async page(sessionId: string, limit: number, cursor?: string): Promise<MessagePage> {
    const after = cursor ? decodeCursor(cursor, isSeqKey)[0] : '0';
    const rows: MessageRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM messages WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [sessionId, after, limit + 1],
    );
    const messages = rows.slice(0, limit).map(toMessage);
    const last = messages.at(-1);
    return { messages, nextCursor: rows.length > limit && last ? encodeCursor([last.seq]) : null };
  }

  /** A whole session's messages, oldest first, failed answers left out (the quick-chat seed's history view). */
  async history(sessionId: string): Promise<Message[]> {
    const rows: MessageRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM messages WHERE session_id = $1 AND status <> 'failed' ORDER BY seq`,
      [sessionId],
    );
    return rows.map(toMessage);
  }

  /** Each question with its answer ('' while none), oldest first. */
  async exchanges(sessionId: string): Promise<Exchange[]> {
    const rows: {
      id: string;
      session_id: string;
      prompt: string;
      response: string | null;
      created_at: Date;
    }[] = await this.dataSource.query(
      `SELECT q.id, q.session_id, q.content AS prompt, a.content AS response, q.created_at
           FROM messages q LEFT JOIN messages a ON a.reply_to = q.id AND a.status <> 'failed'
          WHERE q.session_id = $1 AND q.role = 'user'
          ORDER BY q.seq`,
      [sessionId],
    );
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
    const rows: { prompt: string; answer: string }[] = await this.dataSource.query(
      `SELECT prompt, answer FROM (
         SELECT q.seq, q.content AS prompt, a.content AS answer,
                sum(length(q.content) + length(a.content) + 32) OVER (ORDER BY q.seq DESC) AS running_chars
           FROM messages q JOIN messages a ON a.reply_to = q.id AND a.status = 'complete'
          WHERE q.session_id = $1 AND q.role = 'user' AND q.seq < $2
          ORDER BY q.seq DESC
          LIMIT $4
       ) turns
       WHERE running_chars <= $3
       ORDER BY seq`,
      [sessionId, beforeSeq, budgetChars, maxTurns],
    );
    return rows.flatMap((r) => [
      { role: 'user' as const, content: r.prompt },
      { role: 'assistant' as const, content: r.answer },
    ]);
  }

  private async insert(sessionId: string, values: Record<string, unknown>): Promise<Message> {
    const columns = Object.keys(values);
    const params = columns.map((_, i) => `$${i + 2}`);
    const rows = await this.dataSource
      .query<MessageRow[]>(
        `WITH inserted AS (
         INSERT INTO messages (session_id, ${columns.join(', ')}) VALUES ($1, ${params.join(', ')}) RETURNING ${COLUMNS}
       ), bumped AS (
         UPDATE chat_sessions SET message_count = message_count + 1, updated_at = now() WHERE id = $1
       )
       SELECT * FROM inserted`,
        [sessionId, ...Object.values(values)],
      )
      .catch((error: unknown) => {
        throw isForeignKeyViolation(error) ? new SessionNotFoundException() : error; // deleted meanwhile
      });
    return toMessage(rows[0]);
  }
}

function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23503';
}

function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    seq: String(row.seq),
    sessionId: row.session_id,
    role: row.role,
    content: row.content,
    status: row.status,
    replyTo: row.reply_to,
    provider: row.provider,
    model: row.model,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    latencyMs: row.latency_ms,
    error: row.error,
    createdAt: row.created_at,
  };
}
