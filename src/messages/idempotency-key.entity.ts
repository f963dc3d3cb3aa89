import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { User } from '../users/user.entity.js';
import { Message } from './message.entity.js';

/**
 * An `Idempotency-Key` a user sent on a turn-creating POST, with the answer of the turn it created
 * (null while that turn is being prepared). Honoured for 24 hours; older rows are deleted.
 */
@Index('idempotency_keys_user_key_key', ['userId', 'key'], { unique: true })
// The answer's foreign key: deleting a session's messages finds their keys.
@Index('idempotency_keys_answer_idx', ['answerId'])
// The expiry sweep.
@Index('idempotency_keys_created_at_idx', ['createdAt'])
@Entity('idempotency_keys')
export class IdempotencyKey {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'idempotency_keys_user_id_fkey' })
  user?: User;

  @Column({ type: 'varchar', length: 255 })
  key!: string;

  @Column({ name: 'answer_id', type: 'uuid', nullable: true })
  answerId!: string | null;

  @ManyToOne(() => Message, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'answer_id', foreignKeyConstraintName: 'idempotency_keys_answer_id_fkey' })
  answer?: Message | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
