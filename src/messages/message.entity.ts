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
import type { MessageRole, MessageStatus } from './message.js';

/**
 * Table `messages` exactly as the migrations create it (`npm run migration:check` compares them).
 * The service still reads and writes it with prepared statements (database/sql.ts), as `Message` of
 * message.ts. Partial indexes: TypeORM compares an index by name, columns and uniqueness, not its WHERE.
 */
@Entity({ name: 'messages' })
@Check('messages_role_check', `role IN ('user', 'assistant')`)
@Check('messages_status_check', `status IN ('complete', 'streaming', 'failed')`)
// A session's messages in order (the page, keyset on seq; the context, newest first).
@Index('messages_session_seq_idx', ['sessionId', 'seq'], { unique: true })
// The answer to a question (context building and the question/answer views).
@Index('messages_reply_to_idx', ['replyTo'], { where: 'reply_to IS NOT NULL' })
// A session's questions, newest first (the context query walks back over questions only).
@Index('messages_session_questions_idx', ['sessionId', 'seq'], { where: `role = 'user'` })
// The turns that fit a context budget (see migration TurnChars).
@Index('messages_session_turn_idx', ['sessionId', 'turnStart'], { where: 'turn_start IS NOT NULL' })
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

  /** For an answer: the user message it answers. */
  @Column({ name: 'reply_to', type: 'uuid', nullable: true })
  replyTo!: string | null;

  @ManyToOne(() => Message, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'reply_to', foreignKeyConstraintName: 'messages_reply_to_fkey' })
  question?: Relation<Message> | null;

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

  /** On a complete answer: the session's context total before its turn was counted (migration TurnChars). */
  @Column({ name: 'turn_start', type: 'bigint', nullable: true })
  turnStart!: string | null;

  /** clock_timestamp(): the time of the row's insert, not of its transaction's start. */
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;
}
