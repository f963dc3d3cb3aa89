import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { GenerationEvents } from '../generations/generation-events.js';
import { Message } from './message.entity.js';
import { errorEvent, INTERRUPTED, INTERRUPTED_DETAIL } from './stream-events.js';
import { recordAnswerUsage } from '../usage/usage-recorder.js';

interface InterruptedRow {
  id: string;
  session_id: string;
  provider: string | null;
  model: string | null;
}

/**
 * Crash recovery for streamed answers. The instance generating an answer holds a lease on it
 * (`messages.lease_until`), renewed every third of GENERATION_LEASE_MS while it works; every instance,
 * at start-up and every half lease, marks the `streaming` answers whose lease has lapsed `failed` with
 * error `interrupted` (their instance is dead: a live one renews long before), and ends their streams.
 * The lease lives in PostgreSQL, which every instance shares with or without Redis, so that the lease
 * and the answer it guards change in one statement: no instance can mark an answer whose lease another
 * has just renewed. An instance never marks the answers it generates itself. A renewal that finds an
 * answer no longer `streaming` (stopped or deleted by an instance this one cannot reach) aborts its
 * generation here.
 */
@Injectable()
export class GenerationLeasesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(GenerationLeasesService.name);
  /** The answers generated here, each with what to do when it is no longer ours. */
  private readonly held = new Map<string, () => void>();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly generations: GenerationEvents,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
  ) {}

  /** When a lease taken now ends. */
  leaseUntil(): Date {
    return new Date(Date.now() + this.config.generations.leaseMs);
  }

  /** Keeps renewing the lease on an answer generated here until {@link release}; `lost` runs if it goes. */
  hold(answerId: string, lost: () => void): void {
    this.held.set(answerId, lost);
  }

  release(answerId: string): void {
    this.held.delete(answerId);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { leaseMs } = this.config.generations;
    await this.sweep();
    this.timers = [
      setInterval(() => void this.renew(), leaseMs / 3),
      setInterval(() => void this.sweep(), leaseMs / 2),
    ];
    for (const timer of this.timers) timer.unref();
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  /** Extends the leases held here; aborts the generations whose answers were finished elsewhere. */
  async renew(): Promise<void> {
    const ids = [...this.held.keys()];
    if (ids.length === 0) return;
    try {
      const result = await this.messages
        .createQueryBuilder()
        .update()
        .set({ leaseUntil: this.leaseUntil() })
        .where({ status: 'streaming' })
        // one array parameter, not IN ($1, …, $n): one statement text (so one prepared statement) for any count
        .andWhere('id = ANY(:ids::uuid[])', { ids })
        .returning(['id'])
        .execute();
      const kept = new Set((result.raw as { id: string }[]).map((row) => row.id));
      for (const id of ids) if (!kept.has(id)) this.held.get(id)?.();
    } catch (error) {
      this.logger.warn({ err: error }, 'could not renew the leases of answers being generated');
    }
  }

  /** Marks the answers of dead instances `failed` (`interrupted`) and ends their open streams. */
  async sweep(): Promise<string[]> {
    try {
      // An interrupted answer counts in its user's usage as a failure, in the transaction that marks it.
      const ids = await this.messages.manager.transaction(async (manager) => {
        const result = await manager
          .createQueryBuilder()
          .update(Message)
          .set({ status: 'failed', error: INTERRUPTED, leaseUntil: null })
          .where(`status = 'streaming' AND (lease_until IS NULL OR lease_until < now())`)
          // Never the answers generated here: this instance is alive, whatever the lease says. Under a
          // stalled database or a starved event loop, its renewals land late, and a sweep running first
          // would take its own answers for a dead instance's.
          .andWhere('id <> ALL(:held::uuid[])', { held: [...this.held.keys()] })
          .returning(['id', 'sessionId', 'provider', 'model']) // property names; the rows have column names
          .execute();
        const rows = result.raw as InterruptedRow[];
        for (const row of rows) {
          if (row.provider === null) continue;
          await recordAnswerUsage(manager, {
            sessionId: row.session_id,
            provider: row.provider,
            model: row.model,
            status: 'failed',
            promptTokens: null,
            completionTokens: null,
          });
        }
        return rows.map((row) => row.id);
      });
      for (const id of ids) {
        await this.generations.interrupt(id, 'error', errorEvent(503, INTERRUPTED_DETAIL, id, null));
      }
      if (ids.length > 0)
        this.logger.warn({ message_ids: ids }, 'answers interrupted: their server went away');
      return ids;
    } catch (error) {
      this.logger.warn({ err: error }, 'could not look for interrupted answers');
      return [];
    }
  }
}
