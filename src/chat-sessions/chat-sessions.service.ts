import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { RequestValidationException } from '../common/exceptions.js';
import { decodeCursor, encodeCursor, UUID_PATTERN } from '../common/keyset-cursor.js';
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
    private readonly llm: LlmRegistry,
  ) {}

  async create(userId: string, fields: SessionFields): Promise<ChatSession> {
    this.assertProviderConfigured(fields.provider);
    const inserted = await this.sessions.insert({ userId, ...fields });
    return this.get(userId, inserted.identifiers[0].id as string);
  }

  /** Most recently active first, `limit` at a time, after the cursor of the previous page. */
  async list(userId: string, limit: number, cursor?: string): Promise<SessionPage> {
    const query = this.sessions
      .createQueryBuilder('s')
      .addSelect(`to_char(s.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`, 'activity_key')
      .where('s.user_id = :userId', { userId })
      .orderBy('s.updated_at', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(limit + 1);
    if (cursor) {
      const [updatedAt, id] = decodeCursor(cursor, isActivityKey);
      query.andWhere('(s.updated_at, s.id) < (:updatedAt::timestamptz, :id::uuid)', { updatedAt, id });
    }
    const { entities, raw } = await query.getRawAndEntities<{ activity_key: string }>();
    const hasMore = entities.length > limit;
    const sessions = entities.slice(0, limit);
    const last = sessions.at(-1);
    const nextCursor = hasMore && last ? encodeCursor([raw[limit - 1].activity_key, last.id]) : null;
    return { sessions, nextCursor };
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
    const session = await this.sessions.findOneBy({ id, userId });
    if (!session) throw new SessionNotFoundException();
    return session;
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
