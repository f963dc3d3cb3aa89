import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import type { LlmProviderName } from '../llm/llm-provider.js';
import { Message } from '../messages/message.entity.js';
import { searchVectorOf } from '../search/search-columns.js';
import { User } from '../users/user.entity.js';

/**
 * Table `chat_sessions` exactly as the migrations create it (`npm run migration:check` compares them).
 */
@Check('chat_sessions_provider_check', `provider IN ('openai', 'gemini', 'anthropic', 'echo')`)
// A user's sessions by activity (the list, keyset on updated_at, id). The migration makes the last two
// columns DESC, which @Index cannot say; TypeORM compares an index by name, columns and uniqueness only.
@Index('chat_sessions_user_activity_idx', ['userId', 'updatedAt', 'id'])
// The active leaf's foreign key (ON DELETE SET NULL) looks sessions up by it.
@Index('chat_sessions_active_leaf_idx', ['activeLeafId'])
// An imported conversation once per user (a second import of a file skips it); partial: most have none.
@Index('chat_sessions_user_source_idx', ['userId', 'sourceId'], {
  unique: true,
  where: 'source_id IS NOT NULL',
})
// Full-text search of the title (GET /api/v1/search).
@Index('chat_sessions_search_idx', ['searchVector'], { type: 'gin' })
@Entity('chat_sessions')
export class ChatSession {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, (user) => user.chatSessions, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'chat_sessions_user_id_fkey' })
  user?: Relation<User>;

  @Column({ type: 'varchar', length: 200, nullable: true })
  title!: string | null;

  @Column({ name: 'system_prompt', type: 'text', nullable: true })
  systemPrompt!: string | null;

  /** The provider asked for; null means the server's default. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  provider!: LlmProviderName | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  model!: string | null;

  @Column({ name: 'message_count', type: 'integer', default: 0 })
  messageCount!: number;

  /** The last message of the path the session shows (its newest message unless a branch was chosen). */
  @Column({ name: 'active_leaf_id', type: 'uuid', nullable: true })
  activeLeafId!: string | null;

  // Deferred: a turn moves the leaf first (locking the session's row), then inserts the messages.
  @ManyToOne(() => Message, { onDelete: 'SET NULL', deferrable: 'INITIALLY DEFERRED' })
  @JoinColumn({ name: 'active_leaf_id', foreignKeyConstraintName: 'chat_sessions_active_leaf_id_fkey' })
  activeLeaf?: Relation<Message> | null;

  /** Where an imported session came from (`chatgpt:<conversation id>`, `chatbot:<session id>`); null otherwise. */
  @Column({ name: 'source_id', type: 'varchar', length: 200, nullable: true })
  sourceId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Last activity: creation, an edit, or a message (set by the service, not by TypeORM on save). */
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  /** The title's words for full-text search, in SEARCH_LANGUAGE (see `searchVectorSql`); never read back. */
  @Column({
    name: 'search_vector',
    type: 'tsvector',
    nullable: true,
    generatedType: 'STORED',
    asExpression: searchVectorOf('chat_sessions'),
    select: false,
    insert: false,
    update: false,
  })
  searchVector?: string;

  @OneToMany(() => Message, (message) => message.session)
  messages?: Relation<Message>[];
}
