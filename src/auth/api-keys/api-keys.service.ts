import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { KeyObject } from 'node:crypto';
import { Brackets, IsNull, Repository } from 'typeorm';
import { UUID_PATTERN } from '../../common/keyset-cursor.js';
import { User, type UserRole } from '../../users/user.entity.js';
import type { AuthUser } from '../auth-user.js';
import { JWT_KEY } from '../tokens/jwt-key.js';
import { ApiKeyDigester, API_KEY_PATTERN, newApiKey, SHOWN_PREFIX_LENGTH } from './api-key-secret.js';
import { ApiKey } from './api-key.entity.js';

/** The most live (not revoked, not expired) keys a user may hold: the list is one bounded page. */
export const MAX_LIVE_KEYS = 50;

/**
 * `last_used_at` moves at most once a minute per key: a write per request would double the cost of
 * every gateway call and contend on one row for a busy key, and "used a few seconds ago" tells the owner
 * nothing more than "used within the last minute".
 */
const LAST_USED_RESOLUTION_MS = 60_000;

const DAY_MS = 86_400_000;

/** A key as its owner and the admins see it: never its secret or digest. */
export type ApiKeyRecord = Omit<ApiKey, 'keyHash' | 'user'>;

export class ApiKeyNotFoundException extends NotFoundException {
  constructor() {
    super('API key not found.');
  }
}

/** A key without its digest. */
const toRecord = ({ keyHash: _digest, user: _user, ...record }: ApiKey): ApiKeyRecord => record;

/** Personal API keys for the gateway: issued once, stored as a digest, revocable at once, optionally expiring. */
@Injectable()
export class ApiKeysService {
  private readonly digester: ApiKeyDigester;

  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    @Inject(JWT_KEY) jwtKey: KeyObject,
  ) {
    this.digester = new ApiKeyDigester(jwtKey);
  }

  /**
   * A new key for `userId`: its record and its secret, which is shown this once and stored only as a digest.
   * @throws ConflictException when the user already holds {@link MAX_LIVE_KEYS} live keys
   */
  async create(
    userId: string,
    name: string,
    expiresInDays?: number,
  ): Promise<{ key: ApiKeyRecord; secret: string }> {
    const secret = newApiKey();
    const key = await this.keys.manager.transaction(async (manager) => {
      // The owner's row, locked: two creations at once cannot both pass the cap.
      await manager
        .getRepository(User)
        .findOne({ where: { id: userId }, select: { id: true }, lock: { mode: 'pessimistic_write' } });
      const live = await this.liveKeys(manager.getRepository(ApiKey), userId).getCount();
      if (live >= MAX_LIVE_KEYS) {
        throw new ConflictException(`You already have ${MAX_LIVE_KEYS} API keys; revoke one first.`);
      }
      return manager.getRepository(ApiKey).save(
        manager.getRepository(ApiKey).create({
          userId,
          name,
          prefix: secret.slice(0, SHOWN_PREFIX_LENGTH),
          keyHash: this.digester.digest(secret),
          lastUsedAt: null,
          expiresAt: expiresInDays === undefined ? null : new Date(Date.now() + expiresInDays * DAY_MS),
          revokedAt: null,
        }),
      );
    });
    return { key: toRecord(key), secret };
  }

  /** The user's live keys, newest first (at most {@link MAX_LIVE_KEYS}). */
  async listLive(userId: string): Promise<ApiKeyRecord[]> {
    const keys = await this.liveKeys(this.keys, userId)
      .orderBy('k.createdAt', 'DESC')
      .addOrderBy('k.id', 'DESC')
      .getMany();
    return keys.map(toRecord);
  }

  /** Every key of the user, revoked and expired ones too, newest first (the admin CLI's list). */
  async listAll(userId: string): Promise<ApiKeyRecord[]> {
    const keys = await this.keys.find({ where: { userId }, order: { createdAt: 'DESC', id: 'DESC' } });
    return keys.map(toRecord);
  }

  /**
   * Revokes one of the user's keys at once.
   * @throws ApiKeyNotFoundException for an unknown, malformed, already revoked or another user's id
   */
  async revoke(userId: string, id: string): Promise<void> {
    if (!UUID_PATTERN.test(id)) throw new ApiKeyNotFoundException();
    const { affected } = await this.keys.update(
      { id, userId, revokedAt: IsNull() },
      { revokedAt: () => 'now()' },
    );
    if (!affected) throw new ApiKeyNotFoundException();
  }

  /** Revokes a key whoever owns it (the admin CLI); false when there is no such key not yet revoked. */
  async revokeById(id: string): Promise<boolean> {
    if (!UUID_PATTERN.test(id)) return false;
    const { affected } = await this.keys.update({ id, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    return Boolean(affected);
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.keys.update({ userId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  /** The active owner of a live key, or null: one indexed read, and a write at most once a minute. */
  async authenticate(secret: string): Promise<AuthUser | null> {
    if (!API_KEY_PATTERN.test(secret)) return null;
    const row = await this.keys
      .createQueryBuilder('k')
      .innerJoin('k.user', 'u')
      .select([
        'k.id AS key_id',
        'k.lastUsedAt AS last_used_at',
        'u.id AS id',
        'u.username AS username',
        'u.role AS role',
      ])
      .where('k.keyHash = :hash', { hash: this.digester.digest(secret) })
      .andWhere('k.revokedAt IS NULL')
      .andWhere('(k.expiresAt IS NULL OR k.expiresAt > now())')
      .andWhere('u.isActive')
      .getRawOne<{
        key_id: string;
        last_used_at: Date | null;
        id: string;
        username: string;
        role: UserRole;
      }>();
    if (!row) return null;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.touch(row.key_id);
    }
    return { id: row.id, username: row.username, role: row.role, via: 'api-key', apiKeyId: row.key_id };
  }

  /** Moves `last_used_at` on, unless another request (or worker) did within the last minute. */
  private async touch(id: string): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .update(ApiKey)
      .set({ lastUsedAt: () => 'now()' })
      .where('id = :id', { id })
      .andWhere(
        new Brackets((q) =>
          q
            .where('last_used_at IS NULL')
            .orWhere(`last_used_at < now() - interval '${LAST_USED_RESOLUTION_MS} milliseconds'`),
        ),
      )
      .execute();
  }

  private liveKeys(keys: Repository<ApiKey>, userId: string) {
    return keys
      .createQueryBuilder('k')
      .where('k.userId = :userId', { userId })
      .andWhere('k.revokedAt IS NULL')
      .andWhere('(k.expiresAt IS NULL OR k.expiresAt > now())');
  }
}
