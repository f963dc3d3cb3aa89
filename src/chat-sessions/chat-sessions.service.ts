import { Injectable } from '@nestjs/common';
import { RequestValidationException } from '../common/exceptions.js';
import { decodeCursor, encodeCursor, isCursorTimestamp, UUID_PATTERN } from '../common/keyset-cursor.js';
import { Sql, type Statement } from '../database/sql.js';
import { isoFromTimestamptz } from '../database/timestamps.js';
import { LlmRegistry } from '../llm/llm-registry.js';
import type { LlmProviderName } from '../llm/llm-provider.js';
import { modelNameProblem } from '../llm/model-name.js';
import type { ChatSessionRecord } from './chat-session.js';
import { SessionNotFoundException } from './chat-session.errors.js';

export interface SessionFields {
  title?: string | null;
  systemPrompt?: string | null;
  provider?: LlmProviderName | null;
  model?: string | null;
}

export interface SessionPage {
  sessions: ChatSessionRecord[];
  nextCursor: string | null;
}

/** A chat_sessions row as selected by {@link SESSION_COLUMNS}. */
interface SessionRow {
  id: string;
  user_id: string;
  title: string | null;
  system_prompt: string | null;
  provider: LlmProviderName | null;
  model: string | null;
  message_count: number;
  created_at: string;
  updated_at: string;
}

const SESSION_COLUMNS = `id, user_id, title, system_prompt, provider, model, message_count,
  created_at, updated_at`;

/** The SQL column each settable field is stored in. */
const FIELD_COLUMNS: Record<keyof SessionFields, string> = {
  title: 'title',
  systemPrompt: 'system_prompt',
  provider: 'provider',
  model: 'model',
};

function toSession(row: SessionRow): ChatSessionRecord {
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

/** `updated_at` to the microsecond (the API's timestamps stop at milliseconds), for the page cursor. */
interface ActivityColumn {
  activity_key: string;
}
/** As PostgreSQL's text, which {@link isoFromTimestamptz} formats for the cursor of the last row only. */
const ACTIVITY_KEY = `updated_at::text AS activity_key`;

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
const ALL_BY_CREATION: Statement = {
  name: 'sessions_all_by_creation',
  text: `SELECT ${SESSION_COLUMNS} FROM chat_sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC`,
};
const ALL_BY_ACTIVITY: Statement = {
  name: 'sessions_all_by_activity',
  text: `SELECT ${SESSION_COLUMNS} FROM chat_sessions WHERE user_id = $1 ORDER BY updated_at DESC, id DESC`,
};
const BY_ID: Statement = {
  name: 'session_by_id',
  text: `SELECT ${SESSION_COLUMNS} FROM chat_sessions WHERE id = $1 AND user_id = $2`,
};
const INSERT: Statement = {
  name: 'session_insert',
  text: `INSERT INTO chat_sessions (user_id, title, system_prompt, provider, model) VALUES ($1, $2, $3, $4, $5)
         RETURNING ${SESSION_COLUMNS}`,
};
const DELETE: Statement = {
  name: 'session_delete',
  text: `DELETE FROM chat_sessions WHERE id = $1 AND user_id = $2 RETURNING id`,
};
const IDLE = `updated_at < now() - make_interval(secs => $1) AND ($2::uuid IS NULL OR user_id = $2)`;
const COUNT_IDLE: Statement = {
  name: 'sessions_count_idle',
  text: `SELECT count(*)::int AS n FROM chat_sessions WHERE ${IDLE}`,
};
const PURGE_IDLE: Statement = {
  name: 'sessions_purge_idle',
  text: `WITH purged AS (DELETE FROM chat_sessions WHERE ${IDLE} RETURNING 1) SELECT count(*)::int AS n FROM purged`,
};

type ActivityKey = [string, string];
const isActivityKey = (key: unknown[]): key is ActivityKey =>
  key.length === 2 && isCursorTimestamp(key[0]) && typeof key[1] === 'string' && UUID_PATTERN.test(key[1]);

/** A user's chat sessions; every query is scoped to the owner. */
@Injectable()
export class ChatSessionsService {
  constructor(
    private readonly sql: Sql,
    private readonly llm: LlmRegistry,
  ) {}

  async create(userId: string, fields: SessionFields): Promise<ChatSessionRecord> {
    this.assertProviderConfigured(fields.provider);
    this.assertModelFits(fields.provider ?? null, fields.model ?? null);
    const [row] = await this.sql.rows<SessionRow>(INSERT, [
      userId,
      fields.title ?? null,
      fields.systemPrompt ?? null,
      fields.provider ?? null,
      fields.model ?? null,
    ]);
    return toSession(row);
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
    return {
      sessions,
      nextCursor: last ? encodeCursor([isoFromTimestamptz(last.activity_key, 6), last.id]) : null,
    };
  }

  /** Every session of a user, for the seed contracts' unpaginated lists. */
  async listAll(userId: string, order: 'created' | 'activity'): Promise<ChatSessionRecord[]> {
    const rows = await this.sql.rows<SessionRow>(order === 'created' ? ALL_BY_CREATION : ALL_BY_ACTIVITY, [
      userId,
    ]);
    return rows.map(toSession);
  }

  async get(userId: string, id: string): Promise<ChatSessionRecord> {
    if (!UUID_PATTERN.test(id)) throw new SessionNotFoundException();
    const [row] = await this.sql.rows<SessionRow>(BY_ID, [id, userId]);
    if (!row) throw new SessionNotFoundException();
    return toSession(row);
  }

  /** Sets the given fields (undefined: left alone, null: cleared) and marks the session active. */
  async update(userId: string, id: string, fields: SessionFields): Promise<ChatSessionRecord> {
    const current = await this.get(userId, id); // an unknown session is 404 before a bad field is 400
    this.assertProviderConfigured(fields.provider);
    this.assertModelFits(
      fields.provider === undefined ? current.provider : fields.provider,
      fields.model === undefined ? current.model : fields.model,
    );
    const given = (Object.keys(FIELD_COLUMNS) as (keyof SessionFields)[]).filter(
      (f) => fields[f] !== undefined,
    );
    const assignments = given.map((field, i) => `${FIELD_COLUMNS[field]} = $${i + 3}`);
    const [row] = await this.sql.adHoc<SessionRow>(
      `UPDATE chat_sessions SET ${[...assignments, 'updated_at = now()'].join(', ')}
        WHERE id = $1 AND user_id = $2 RETURNING ${SESSION_COLUMNS}`,
      [id, userId, ...given.map((field) => fields[field])],
    );
    if (!row) throw new SessionNotFoundException();
    return toSession(row);
  }

  async remove(userId: string, id: string): Promise<void> {
    if (!UUID_PATTERN.test(id)) throw new SessionNotFoundException();
    const deleted = await this.sql.rows(DELETE, [id, userId]);
    if (deleted.length === 0) throw new SessionNotFoundException();
  }

  /** Deletes (or, dry, counts) sessions idle for longer than `idleSeconds`, optionally of one user. */
  async purgeIdle(idleSeconds: number, userId: string | null, dryRun: boolean): Promise<number> {
    const [{ n }] = await this.sql.rows<{ n: number }>(dryRun ? COUNT_IDLE : PURGE_IDLE, [
      idleSeconds,
      userId,
    ]);
    return n;
  }

  /** The model must be a name its provider (the session's, else the default) can take. */
  private assertModelFits(provider: LlmProviderName | null, model: string | null): void {
    const problem =
      model === null ? undefined : modelNameProblem(provider ?? this.llm.defaultProvider, model);
    if (problem) throw new RequestValidationException([{ field: 'model', message: problem }]);
  }

  private assertProviderConfigured(provider: LlmProviderName | null | undefined): void {
    if (provider && !this.llm.isConfigured(provider)) {
      throw new RequestValidationException([
        { field: 'provider', message: `The ${provider} provider is not configured on this server.` },
      ]);
    }
  }
}
