import {
  ConflictException,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { RequestValidationException } from '../common/exceptions.js';
import { AppConfig } from '../config/app-config.js';
import { IdempotencyKey } from './idempotency-key.entity.js';

/** How long a key is honoured. */
const KEY_LIFETIME = `interval '24 hours'`;
const PURGE_EVERY_MS = 60 * 60 * 1000;
/** Printable ASCII, as Stripe and the IETF draft (draft-ietf-httpapi-idempotency-key-header) expect. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** What a turn-creating POST under an `Idempotency-Key` is to do. */
type IdempotentTurn =
  /** The key is new: create the turn, then {@link IdempotencyService.record} its answer (or forget the key). */
  | { kind: 'new'; keyId: string }
  /** The key created a turn already: answer with that one. */
  | { kind: 'replay'; answerId: string };

/** How a request answers under an `Idempotency-Key` ({@link IdempotencyService.once}). */
export interface KeyedTurn<T> {
  /** Creates the turn; `record` (under a new key) ties the key to its answer once stored. */
  create(record?: (answerId: string) => Promise<void>): Promise<T>;
  /** Answers with the turn whose answer is `answerId`, which the key created. */
  replay(answerId: string): Promise<T>;
}

export const IDEMPOTENCY_KEY_IN_USE =
  'A request with this Idempotency-Key is still being processed; retry shortly.';
export const IDEMPOTENCY_KEY_INVALID = 'Idempotency-Key must be 1-255 printable ASCII characters';

/** 409 for a key whose first request is still preparing its turn. */
export class IdempotencyKeyInUseException extends ConflictException {
  constructor() {
    super(IDEMPOTENCY_KEY_IN_USE);
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

  /**
   * How long a claim may stay without an answer before it counts as abandoned: twice the provider's
   * timeout. A live request has tied its key to an answer, or freed it, by then; one whose server died
   * (SIGKILL, OOM) never will, and its client's retry must not get a 409 for a day.
   */
  private readonly abandonedAfterMs: number;

  constructor(
    @InjectRepository(IdempotencyKey) private readonly keys: Repository<IdempotencyKey>,
    config: AppConfig,
  ) {
    this.abandonedAfterMs = 2 * config.llm.timeoutMs;
  }

  onApplicationBootstrap(): void {
    this.purging = setInterval(() => void this.purgeExpired().catch(() => undefined), PURGE_EVERY_MS);
    this.purging.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.purging);
  }

  /**
   * Runs a turn-creating request under its `Idempotency-Key`, if any. Without one, `turn.create()`. With a
   * new one, `turn.create(record)`, which is to call `record` with its answer's id once the turn is stored;
   * when it throws before that, the key is freed for a retry. With a key that created a turn already,
   * `turn.replay(answerId)`. A malformed key is a 400, a key whose first request is still preparing its
   * turn a 409.
   */
  async once<T>(userId: string, key: string | undefined, turn: KeyedTurn<T>): Promise<T> {
    if (key === undefined) return turn.create();
    const claim = await this.claim(userId, key);
    if (claim.kind === 'replay') return turn.replay(claim.answerId);
    try {
      return await turn.create((answerId) => this.record(claim.keyId, answerId));
    } catch (error) {
      await this.forget(claim.keyId);
      throw error;
    }
  }

  /** Claims `key` for a new turn, or names the answer it created; 400 for a malformed key. */
  private async claim(userId: string, key: string): Promise<IdempotentTurn> {
    if (!KEY_PATTERN.test(key)) {
      throw new RequestValidationException([{ field: 'Idempotency-Key', message: IDEMPOTENCY_KEY_INVALID }]);
    }
    await this.keys
      .createQueryBuilder()
      .delete()
      .where('user_id = :userId AND key = :key', { userId, key })
      .andWhere(
        `(created_at < now() - ${KEY_LIFETIME} OR ` +
          `(answer_id IS NULL AND created_at < now() - :abandonedMs * interval '1 millisecond'))`,
        { abandonedMs: this.abandonedAfterMs },
      )
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
  private async record(keyId: string, answerId: string): Promise<void> {
    await this.keys.update({ id: keyId }, { answerId });
  }

  /** Frees a claimed key whose request created no turn (it failed), so that a retry may. */
  private async forget(keyId: string): Promise<void> {
    await this.keys.delete({ id: keyId, answerId: IsNull() });
  }

  /** Deletes keys older than 24 hours. */
  async purgeExpired(): Promise<void> {
    await this.keys.createQueryBuilder().delete().where(`created_at < now() - ${KEY_LIFETIME}`).execute();
  }
}
