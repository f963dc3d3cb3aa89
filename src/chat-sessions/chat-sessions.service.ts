import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, type SelectQueryBuilder } from 'typeorm';
import { decodeCursor, encodeCursor, isCursorTimestamp, UUID_PATTERN } from '../common/keyset-cursor.js';
import { isoFromTimestamptz } from '../database/timestamps.js';
import { GenerationEvents } from '../generations/generation-events.js';
import { LlmRegistry } from '../llm/llm-registry.js';
import { Message } from '../messages/message.entity.js';
import { notAMessageOf } from '../messages/message.errors.js';
import type { LlmProviderName } from '../llm/llm-provider.js';
import type { ChatSessionRecord } from './chat-session.js';
import { ChatSession } from './chat-session.entity.js';
import { SessionNotFoundException } from './chat-session.errors.js';

export interface SessionFields {
  title?: string | null;
  systemPrompt?: string | null;
  provider?: LlmProviderName | null;
  model?: string | null;
  /** A message of the session: the active path becomes the newest one through it. */
  activeLeafId?: string;
}

export interface SessionPage {
  sessions: ChatSessionRecord[];
  nextCursor: string | null;
}

/** The columns a {@link ChatSessionRecord} shows (not `contextChars`, which only the chat path reads). */
const RECORD_COLUMNS = [
  's.id',
  's.userId',
  's.title',
  's.systemPrompt',
  's.provider',
  's.model',
  's.messageCount',
  's.createdAt',
  's.updatedAt',
  's.activeLeafId',
];

/**
 * `updated_at` to the microsecond, for the page cursor: the entity's Date stops at the millisecond, so the
 * page selects PostgreSQL's text of it as well, which {@link isoFromTimestamptz} formats for the last row.
 */
const ACTIVITY_KEY = 'activity_key';

/** The API's timestamps: ISO-8601 UTC to the millisecond (pg's Date truncates the microseconds, as before). */
function toRecord(session: ChatSession): ChatSessionRecord {
  return {
    id: session.id,
    userId: session.userId,
    title: session.title,
    systemPrompt: session.systemPrompt,
    provider: session.provider,
    model: session.model,
    messageCount: session.messageCount,
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
    activeLeafId: session.activeLeafId ?? null, // undefined on a session just inserted
  };
}

/**
 * Down from a message (`$1`, of session `$2`) by its newest child, to a leaf. Written by hand because
 * the query builder has no recursive walk: one query, not one per level of a deep conversation.
 */
const NEWEST_LEAF_THROUGH = `
  WITH RECURSIVE down AS (
    SELECT id, depth FROM messages WHERE id = $1 AND session_id = $2
    UNION ALL
    SELECT child.id, child.depth FROM down
      CROSS JOIN LATERAL (SELECT id, depth FROM messages WHERE parent_id = down.id ORDER BY seq DESC LIMIT 1) child
  )
  SELECT id FROM down ORDER BY depth DESC LIMIT 1`;

type ActivityKey = [string, string];
const isActivityKey = (key: unknown[]): key is ActivityKey =>
  key.length === 2 && isCursorTimestamp(key[0]) && typeof key[1] === 'string' && UUID_PATTERN.test(key[1]);

/** A user's chat sessions; every query is scoped to the owner. */
@Injectable()
export class ChatSessionsService {
  constructor(
    @InjectRepository(ChatSession) private readonly sessions: Repository<ChatSession>,
    private readonly llm: LlmRegistry,
    private readonly generations: GenerationEvents,
  ) {}

  async create(userId: string, fields: SessionFields): Promise<ChatSessionRecord> {
    this.llm.assertConfigured(fields.provider);
    this.llm.assertModelFits(fields.provider ?? null, fields.model ?? null);
    const session = this.sessions.create({
      userId,
      title: fields.title ?? null,
      systemPrompt: fields.systemPrompt ?? null,
      provider: fields.provider ?? null,
      model: fields.model ?? null,
    });
    // One INSERT … RETURNING: TypeORM fills in the id and the columns with defaults (timestamps, count).
    await this.sessions.insert(session);
    return toRecord(session);
  }

  /** Most recently active first, `limit` at a time, after the cursor of the previous page. */
  async list(userId: string, limit: number, cursor?: string): Promise<SessionPage> {
    const query = this.ownedBy(userId)
      .addSelect('s.updated_at::text', ACTIVITY_KEY) // a raw selection: column names, not properties
      .orderBy('s.updatedAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(limit + 1);
    if (cursor) {
      const [updatedAt, id] = decodeCursor(cursor, isActivityKey);
      query.andWhere('(s.updatedAt, s.id) < (:updatedAt::timestamptz, :id::uuid)', { updatedAt, id });
    }
    const { entities, raw } = await query.getRawAndEntities<Record<typeof ACTIVITY_KEY, string>>();
    const last = entities.length > limit ? raw[limit - 1] : undefined;
    return {
      sessions: entities.slice(0, limit).map(toRecord),
      nextCursor: last
        ? encodeCursor([isoFromTimestamptz(last[ACTIVITY_KEY], 6), entities[limit - 1].id])
        : null,
    };
  }

  /** Every session of a user, most recently active first: the sessions seed's unpaginated list. */
  async listAll(userId: string): Promise<ChatSessionRecord[]> {
    const sessions = await this.ownedBy(userId)
      .orderBy('s.updatedAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .getMany();
    return sessions.map(toRecord);
  }

  /**
   * Every session's id and start, newest first: the quick-chat seed's history, which shows nothing else,
   * so it hydrates two columns a row rather than a whole record.
   */
  async listStarts(userId: string): Promise<{ id: string; createdAt: string }[]> {
    const sessions = await this.sessions
      .createQueryBuilder('s')
      .select(['s.id', 's.createdAt'])
      .where('s.userId = :userId', { userId })
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .getMany();
    return sessions.map((s) => ({ id: s.id, createdAt: s.createdAt.toISOString() }));
  }

  async get(userId: string, id: string): Promise<ChatSessionRecord> {
    if (!UUID_PATTERN.test(id)) throw new SessionNotFoundException();
    const session = await this.ownedBy(userId).andWhere('s.id = :id', { id }).getOne();
    if (!session) throw new SessionNotFoundException();
    return toRecord(session);
  }

  /** Sets the given fields (undefined: left alone, null: cleared) and marks the session active. */
  async update(userId: string, id: string, fields: SessionFields): Promise<ChatSessionRecord> {
    const current = await this.get(userId, id); // an unknown session is 404 before a bad field is 400
    this.llm.assertConfigured(fields.provider);
    this.llm.assertModelFits(
      fields.provider === undefined ? current.provider : fields.provider,
      fields.model === undefined ? current.model : fields.model,
    );
    const { title, systemPrompt, provider, model } = fields;
    const activeLeafId = fields.activeLeafId && (await this.newestLeafThrough(id, fields.activeLeafId));
    // TypeORM leaves out of the SET the properties that are undefined
    const { affected } = await this.sessions.update(
      { id, userId },
      { title, systemPrompt, provider, model, activeLeafId, updatedAt: () => 'now()' },
    );
    if (!affected) throw new SessionNotFoundException(); // deleted meanwhile
    return this.get(userId, id);
  }

  /** Deletes a session with its messages; answers being generated in it are aborted, their streams ended. */
  async remove(userId: string, id: string): Promise<void> {
    if (!UUID_PATTERN.test(id)) throw new SessionNotFoundException();
    const generating = await this.sessions.manager.find(Message, {
      select: { id: true },
      where: { sessionId: id, status: 'streaming' },
    });
    const { affected } = await this.sessions.delete({ id, userId });
    if (!affected) throw new SessionNotFoundException();
    // After the delete: an aborted generation then finds its answer gone and ends its streams with a 404.
    await this.generations.requestStop(generating.map((m) => m.id));
  }

  /** Deletes (or, dry, counts) sessions idle for longer than `idleSeconds`, optionally of one user. */
  async purgeIdle(idleSeconds: number, userId: string | null, dryRun: boolean): Promise<number> {
    const idle = `updated_at < now() - make_interval(secs => :idleSeconds)${userId ? ' AND user_id = :userId' : ''}`;
    const parameters = { idleSeconds, userId };
    if (dryRun) return this.sessions.createQueryBuilder().where(idle, parameters).getCount();
    const { affected } = await this.sessions.createQueryBuilder().delete().where(idle, parameters).execute();
    return affected ?? 0;
  }

  /**
   * The newest leaf below a message of the session (the message itself when it has none), following the
   * newest child at each step: the path a client means when it picks a version. A 400 naming
   * `active_leaf_id` when the message is not the session's.
   */
  private async newestLeafThrough(sessionId: string, messageId: string): Promise<string> {
    const [leaf] = UUID_PATTERN.test(messageId)
      ? await this.sessions.manager.query<{ id: string }[]>(NEWEST_LEAF_THROUGH, [messageId, sessionId])
      : [];
    if (!leaf) throw notAMessageOf('active_leaf_id');
    return leaf.id;
  }

  /** The columns of a record, of the user's sessions only. */
  private ownedBy(userId: string): SelectQueryBuilder<ChatSession> {
    return this.sessions
      .createQueryBuilder('s')
      .select(RECORD_COLUMNS)
      .where('s.userId = :userId', { userId });
  }
}
