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

@Check('users_role_check', `role IN ('user', 'admin')`)
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

  @OneToMany(() => ChatSession, (session) => session.user)
  chatSessions?: Relation<ChatSession>[];
}
