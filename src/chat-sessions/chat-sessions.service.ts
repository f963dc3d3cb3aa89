import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { RequestValidationException } from '../common/exceptions.js';
import { decodeCursor, encodeCursor, UUID_PATTERN } from '../common/keyset-cursor.js';
import { Sql, type Statement } from '../database/sql.js';
import { LlmRegistry } from '../llm/llm-registry.js';
import type { LlmProviderName } from '../llm/llm-provider.js';
import { ChatSession } from './chat-session.entity.js';
import { SessionNotFoundException } from './chat-session.errors.js';

export interface SessionFields {
  title?: string | null;
  systemPrompt?: string | null;
  provider?: LlmProviderName | null;
  model?: string | null;
}

export interface SessionPage {
  sessions: ChatSession[];
  nextCursor: string | null;
}

/** A chat_sessions row as `pg` returns it. */
export interface SessionRow {
  id: string;
  user_id: string;
  title: string | null;
  system_prompt: string | null;
  provider: LlmProviderName | null;
  model: string | null;
  message_count: number;
  created_at: Date;
  updated_at: Date;
}

export const SESSION_COLUMNS = `id, user_id, title, system_prompt, provider, model, message_count, created_at, updated_at`;

export function toSession(row: SessionRow): ChatSession {
  return {
    id: row.id,
    userId: row.user_id,
    title: row.title,
    systemPrompt: row.system_prompt,
    provider: row.provider,
    model: row.model,
    messageCount: row.message_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** `updated_at` to the microsecond (a Date keeps only milliseconds), for the page cursor. */
interface ActivityColumn {
  activity_key: string;
}
const ACTIVITY_KEY = `to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS activity_key`;

const FIRST_PAGE: Statement = {
  name: 'sessions_first_page',
  text: `SELECT ${SESSION_COLUMNS}, ${ACTIVITY_KEY} FROM chat_sessions
          WHERE user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2`,
};
const PAGE_AFTER: Statement = {
  name: 'sessions_page_after',
  text: `SELECT ${SESSION_COLUMNS}, ${ACTIVITY_KEY} FROM chat_sessions
          WHERE user_id = $1 AND (updated_at, id) < ($3::timestamptz, $4::uuid)
          ORDER BY updated_at DESC, id DESC LIMIT $2`,
};
const BY_ID: Statement = {
  name: 'session_by_id',
  text: `SELECT ${SESSION_COLUMNS} FROM chat_sessions WHERE id = $1 AND user_id = $2`,
};

type ActivityKey = [string, string];
const isActivityKey = (key: unknown[]): key is ActivityKey =>
  key.length === 2 &&
  typeof key[0] === 'string' &&
  !Number.isNaN(Date.parse(key[0])) &&
  typeof key[1] === 'string' &&
  UUID_PATTERN.test(key[1]);

/** A user's chat sessions; every query is scoped to the owner. */
@Injectable()
export class ChatSessionsService {
  constructor(
    @InjectRepository(ChatSession) private readonly sessions: Repository<ChatSession>,
    private readonly sql: Sql,
    private readonly llm: LlmRegistry,
  ) {}

  async create(userId: string, fields: SessionFields): Promise<ChatSession> {
    this.assertProviderConfigured(fields.provider);
    const inserted = await this.sessions.insert({ userId, ...fields });
    return this.get(userId, inserted.identifiers[0].id as string);
  }

  /** Most recently active first, `limit` at a time, after the cursor of the previous page. */
  async list(userId: string, limit: number, cursor?: string): Promise<SessionPage> {
    const rows = cursor
      ? await this.sql.rows<SessionRow & ActivityColumn>(PAGE_AFTER, [
          userId,
          limit + 1,
          ...decodeCursor(cursor, isActivityKey),
        ])
      : await this.sql.rows<SessionRow & ActivityColumn>(FIRST_PAGE, [userId, limit + 1]);
    const sessions = rows.slice(0, limit).map(toSession);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return { sessions, nextCursor: last ? encodeCursor([last.activity_key, last.id]) : null };
  }

  /** Every session of a user, for the seed contracts' unpaginated lists. */
  listAll(userId: string, order: 'created' | 'activity'): Promise<ChatSession[]> {
    const orderBy =
      order === 'created'
        ? { createdAt: 'DESC' as const, id: 'DESC' as const }
        : { updatedAt: 'DESC' as const, id: 'DESC' as const };
    return this.sessions.find({ where: { userId }, order: orderBy });
  }

  async get(userId: string, id: string): Promise<ChatSession> {
    if (!UUID_PATTERN.test(id)) throw new SessionNotFoundException();
    const [row] = await this.sql.rows<SessionRow>(BY_ID, [id, userId]);
    if (!row) throw new SessionNotFoundException();
    return toSession(row);
  }

  async update(userId: string, id: string, fields: SessionFields): Promise<ChatSession> {
    await this.get(userId, id);
    this.assertProviderConfigured(fields.provider);
    const changes = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
    await this.sessions.update({ id, userId }, { ...changes, updatedAt: () => 'now()' });
    return this.get(userId, id);
  }

  async remove(userId: string, id: string): Promise<void> {
    await this.get(userId, id);
    await this.sessions.delete({ id, userId });
  }

  /** Deletes (or, dry, counts) sessions idle for longer than `idleSeconds`, optionally of one user. */
  async purgeIdle(idleSeconds: number, userId: string | null, dryRun: boolean): Promise<number> {
    const query = this.sessions
      .createQueryBuilder()
      .where(`updated_at < now() - make_interval(secs => :idleSeconds)`, { idleSeconds });
    if (userId) query.andWhere('user_id = :userId', { userId });
    if (dryRun) return query.getCount();
    const result = await query.delete().execute();
    return result.affected ?? 0;
  }

  async titleIfUntitled(id: string, title: string): Promise<void> {
    await this.sessions.update({ id, title: IsNull() }, { title });
  }

  private assertProviderConfigured(provider: LlmProviderName | null | undefined): void {
    if (provider && !this.llm.isConfigured(provider)) {
      throw new RequestValidationException([
        { field: 'provider', message: `The ${provider} provider is not configured on this server.` },
      ]);
    }
  }
}
