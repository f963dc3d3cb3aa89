import {
  ConflictException,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { RequestValidationException } from '../common/exceptions.js';
import { IdempotencyKey } from './idempotency-key.entity.js';

/** How long a key is honoured. */
const KEY_LIFETIME = `interval '24 hours'`;
const PURGE_EVERY_MS = 60 * 60 * 1000;
/** Printable ASCII, as Stripe and the IETF draft (draft-ietf-httpapi-idempotency-key-header) expect. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** What a turn-creating POST under an `Idempotency-Key` is to do. */
export type IdempotentTurn =
  /** The key is new: create the turn, then {@link IdempotencyService.record} its answer (or forget the key). */
  | { kind: 'new'; keyId: string }
  /** The key created a turn already: answer with that one. */
  | { kind: 'replay'; answerId: string };

/** 409 for a key whose first request is still preparing its turn. */
export class IdempotencyKeyInUseException extends ConflictException {
  constructor() {
    super('A request with this Idempotency-Key is still being processed; retry shortly.');
  }
}

/**
 * `Idempotency-Key` on turn-creating POSTs: the same key from the same user within 24 hours answers with
 * the turn it first created instead of creating another (a client that retries, or reconnects by
 * re-sending its POST, does not ask twice).
 */
@Injectable()
export class IdempotencyService implements OnApplicationBootstrap, OnApplicationShutdown {
  private purging?: NodeJS.Timeout;

  constructor(@InjectRepository(IdempotencyKey) private readonly keys: Repository<IdempotencyKey>) {}

  onApplicationBootstrap(): void {
    this.purging = setInterval(() => void this.purgeExpired().catch(() => undefined), PURGE_EVERY_MS);
    this.purging.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.purging);
  }

  /** Claims `key` for a new turn, or names the answer it created; 400 for a malformed key. */
  async claim(userId: string, key: string): Promise<IdempotentTurn> {
    if (!KEY_PATTERN.test(key)) {
      throw new RequestValidationException([
        { field: 'Idempotency-Key', message: 'Idempotency-Key must be 1-255 printable ASCII characters' },
      ]);
    }
    await this.keys
      .createQueryBuilder()
      .delete()
      .where(`user_id = :userId AND key = :key AND created_at < now() - ${KEY_LIFETIME}`, { userId, key })
      .execute();
    const inserted = await this.keys
      .createQueryBuilder()
      .insert()
      .values({ userId, key })
      .orIgnore()
      .returning(['id'])
      .execute();
    const [row] = inserted.raw as { id: string }[];
    if (row) return { kind: 'new', keyId: row.id };
    const existing = await this.keys.findOneBy({ userId, key });
    if (!existing?.answerId) throw new IdempotencyKeyInUseException();
    return { kind: 'replay', answerId: existing.answerId };
  }

  /** Ties a claimed key to the answer of the turn it created. */
  async record(keyId: string, answerId: string): Promise<void> {
    await this.keys.update({ id: keyId }, { answerId });
  }

  /** Frees a claimed key whose request created no turn (it failed), so that a retry may. */
  async forget(keyId: string): Promise<void> {
    await this.keys.delete({ id: keyId, answerId: IsNull() });
  }

  /** Deletes keys older than 24 hours. */
  async purgeExpired(): Promise<void> {
    await this.keys.createQueryBuilder().delete().where(`created_at < now() - ${KEY_LIFETIME}`).execute();
  }
}
