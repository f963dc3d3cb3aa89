import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  OneToMany,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { ChatSession } from '../chat-sessions/chat-session.entity.js';

export type UserRole = 'user' | 'admin';

/** A budget column's value for "no limit", whatever the default (null follows the default). */
export const NO_QUOTA = -1;

@Check('users_role_check', `role IN ('user', 'admin')`)
@Check('users_quota_check', 'quota_daily_tokens >= -1 AND quota_monthly_tokens >= -1')
// Usernames are unique case-insensitively: the migration's index is on lower(username). TypeORM 1.x's @Index
// takes columns only and its schema reader skips expression indexes, so it is named here with
// synchronize: false, which keeps migration:generate from creating or dropping it.
@Index('users_username_lower_key', { synchronize: false })
@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Unique case-insensitively (the index users_username_lower_key, above). */
  @Column({ type: 'varchar', length: 150 })
  username!: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  @Column({ name: 'password_hash', type: 'text', select: false })
  passwordHash!: string;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role!: UserRole;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive!: boolean;

  /** Carried by access tokens; incrementing it ends every access token issued before (see the guard). */
  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt!: Date | null;

  /** Tokens a UTC day: null follows QUOTA_DAILY_TOKENS, {@link NO_QUOTA} means no limit (`set-quota`). */
  @Column({ name: 'quota_daily_tokens', type: 'bigint', nullable: true })
  quotaDailyTokens!: string | null;

  /** Tokens a UTC calendar month: null follows QUOTA_MONTHLY_TOKENS, {@link NO_QUOTA} means no limit. */
  @Column({ name: 'quota_monthly_tokens', type: 'bigint', nullable: true })
  quotaMonthlyTokens!: string | null;

  @OneToMany(() => ChatSession, (session) => session.user)
  chatSessions?: Relation<ChatSession>[];
}
