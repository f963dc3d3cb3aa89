import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { ChatSession } from '../chat-sessions/chat-session.entity.js';
import { searchVectorOf } from '../search/search-columns.js';
import type { MessageRole, MessageStatus } from './message.js';

/**
 * Table `messages` exactly as the migrations create it (`npm run migration:check` compares them).
 * Partial indexes: TypeORM compares an index by name, columns and uniqueness, not its WHERE.
 */
@Check('messages_role_check', `role IN ('user', 'assistant')`)
@Check('messages_status_check', `status IN ('complete', 'streaming', 'failed', 'stopped')`)
// A session's messages in insertion order.
@Index('messages_session_seq_idx', ['sessionId', 'seq'], { unique: true })
// A message's children, oldest first (siblings, branch switching; the parent foreign key's cascade).
@Index('messages_parent_idx', ['parentId', 'seq'])
// A session's messages by depth: the pages of a session without branches.
@Index('messages_session_depth_idx', ['sessionId', 'depth'])
// The answers being generated, by the end of their instance's lease: the sweep of lapsed leases.
@Index('messages_streaming_lease_idx', ['leaseUntil'], { where: `status = 'streaming'` })
// A session's first questions (the siblings of a root).
@Index('messages_session_roots_idx', ['sessionId', 'seq'], { where: 'parent_id IS NULL' })
// Full-text search of the content (GET /api/v1/search).
@Index('messages_search_idx', ['searchVector'], { type: 'gin' })
@Entity('messages')
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Insertion order across the whole table: a session's messages list by it (keyset), answers after questions. */
  @Column({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS' })
  seq!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @ManyToOne(() => ChatSession, (session) => session.messages, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'messages_session_id_fkey' })
  session?: Relation<ChatSession>;

  @Column({ type: 'varchar', length: 16 })
  role!: MessageRole;

  @Column({ type: 'text' })
  content!: string;

  @Column({ type: 'varchar', length: 16, default: 'complete' })
  status!: MessageStatus;

  /**
   * The message this one follows: null for a session's first question, an answer's question, a question's
   * previous answer. Several children of one message are branches (edits, regenerations).
   */
  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId!: string | null;

  @ManyToOne(() => Message, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'messages_parent_id_fkey' })
  parent?: Relation<Message> | null;

  /** The position on the path from the root (0 for a first question): a path's pages are keyed on it. */
  @Column({ type: 'integer' })
  depth!: number;

  @Column({ type: 'varchar', length: 16, nullable: true })
  provider!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  model!: string | null;

  @Column({ name: 'prompt_tokens', type: 'integer', nullable: true })
  promptTokens!: number | null;

  @Column({ name: 'completion_tokens', type: 'integer', nullable: true })
  completionTokens!: number | null;

  @Column({ name: 'latency_ms', type: 'integer', nullable: true })
  latencyMs!: number | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /**
   * While the answer is `streaming`: until when the instance generating it holds it (renewed while it
   * works). Past it, the instance is taken for dead and the answer is marked `failed` (`interrupted`).
   */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  /** clock_timestamp(): the time of the row's insert, not of its transaction's start. */
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;

  /** The content's words for full-text search, in SEARCH_LANGUAGE (see `searchVectorSql`); never read back. */
  @Column({
    name: 'search_vector',
    type: 'tsvector',
    nullable: true,
    generatedType: 'STORED',
    asExpression: searchVectorOf('messages'),
    select: false,
    insert: false,
    update: false,
  })
  searchVector?: string;
}
