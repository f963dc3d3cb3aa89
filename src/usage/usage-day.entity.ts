import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

const PKEY = 'usage_days_pkey';

/**
 * Table `usage_days`: what one user's answers from one provider and model cost on one UTC day. Each
 * finished answer adds to its row in the transaction that stores it (usage-recorder.ts), so usage and
 * budgets read a month as at most 31 rows per model, never the messages.
 */
// Every user's rows of a period (the admin report); a user's own rows come by the primary key.
@Index('usage_days_day_idx', ['day'])
@Entity('usage_days')
export class UsageDay {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: PKEY })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'usage_days_user_id_fkey' })
  user?: Relation<User>;

  /** The UTC day the answers finished on, `YYYY-MM-DD`. */
  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: PKEY })
  day!: string;

  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: PKEY })
  provider!: string;

  /** '' when the answer named no model (a key column cannot be null). */
  @PrimaryColumn({ type: 'varchar', length: 100, default: '', primaryKeyConstraintName: PKEY })
  model!: string;

  @Column({ name: 'prompt_tokens', type: 'bigint', default: 0 })
  promptTokens!: string;

  @Column({ name: 'completion_tokens', type: 'bigint', default: 0 })
  completionTokens!: string;

  /** Finished answers, whatever their status. */
  @Column({ type: 'integer', default: 0 })
  answers!: number;

  /** Answers that failed. */
  @Column({ type: 'integer', default: 0 })
  failures!: number;
}
