import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull, Raw, Repository } from 'typeorm';
import { ChatSession } from '../chat-sessions/chat-session.entity.js';
import { SessionNotFoundException } from '../chat-sessions/chat-session.errors.js';
import { decodeCursor, encodeCursor, UUID_PATTERN } from '../common/keyset-cursor.js';
import type { LlmMessage, LlmResult } from '../llm/llm-provider.js';
import { Message } from './message.entity.js';
import type { ListedMessage, MessageRecord, MessageRole, MessageStatus } from './message.js';
import { MessageNotFoundException, notAMessageOf } from './message.errors.js';
import { isFinished, recordAnswerUsage } from '../usage/usage-recorder.js';

export interface MessagePage {
  messages: ListedMessage[];
  nextCursor: string | null;
}

/** A find option: the column is one of `ids` (uuids), sent as one array parameter named `name`. */
const anyOf = (name: string, ids: string[]) =>
  Raw((column) => `${column} = ANY(:${name}::uuid[])`, { [name]: ids });

/** A question and its answer, as the sessions seed shows them. */
export interface Exchange {
  id: string;
  sessionId: string;
  prompt: string;
  response: string;
  createdAt: string;
}

/** A session as a turn in it needs it: what its context and its provider call depend on. */
export interface TurnSession {
  id: string;
  title: string | null;
  systemPrompt: string | null;
  provider: ChatSession['provider'];
  model: string | null;
  /** The last message of the session's active path, and its depth; null for an empty session. */
  activeLeaf: TreeNode | null;
}

/** A message's place in its session's tree. */
export interface TreeNode {
  id: string;
  depth: number;
}

/** A complete turn of a context: the question and its answer as the provider is sent them. */
export interface EarlierTurn {
  question: LlmMessage;
  answer: LlmMessage;
}

/** The most turns a context draws on, however many fit its budget. */
export const MAX_CONTEXT_TURNS = 200;

/** A turn's cost in a context budget: both texts plus a per-turn allowance (16 characters a message). */
const MESSAGE_ALLOWANCE = 16;
export const turnChars = (turn: EarlierTurn): number =>
  turn.question.content.length + turn.answer.content.length + 2 * MESSAGE_ALLOWANCE;

/** A question to store with its answer: its text and when it was asked. */
export interface NewQuestion {
  content: string;
  askedAt: Date;
}

export interface NewAnswer {
  provider: string;
  model: string | null;
  status: MessageStatus;
  content: string;
  result?: Pick<LlmResult, 'usage'>;
  latencyMs?: number;
  error?: string | null;
  /** The session's title if it has none yet (a complete answer names an untitled session). */
  sessionTitle?: string | null;
  /** A `streaming` answer: until when its instance holds it (see GenerationLeasesService). */
  leaseUntil?: Date;
}

/**
 * The walk up a path from its newest message (`$1`), newest first: the messages a context may draw on.
 * It stops once the complete turns already read take more than `$2` characters (so a long history is
 * not read past what can fit), or after `$3` messages. `child_status` is the status of the message
 * below on the path: a question counts only when its answer is complete (or stopped by the user, whose
 * partial text stays in later contexts, as ChatGPT keeps it).
 * Hand-written (one of the two hot reads the design allows): TypeORM's query builder has no recursive
 * walk of a self-reference, and reading a 3,000-message path to build one context is what a tree must
 * not do.
 */
const CONTEXT_WALK = `
  WITH RECURSIVE path AS (
    SELECT id, parent_id, role, status, content, 1 AS steps, 0::bigint AS newer_chars, NULL::varchar AS child_status
      FROM messages WHERE id = $1
    UNION ALL
    SELECT m.id, m.parent_id, m.role, m.status, m.content, p.steps + 1,
           p.newer_chars + CASE WHEN p.status IN ('complete', 'stopped')
                                 AND (p.role = 'assistant' OR p.child_status IN ('complete', 'stopped'))
                                THEN length(p.content) + ${MESSAGE_ALLOWANCE} ELSE 0 END,
           p.status
      FROM path p JOIN messages m ON m.id = p.parent_id
     WHERE p.steps < $3 AND p.newer_chars <= $2
  )
  SELECT role, status, content FROM path ORDER BY steps`;

/**
 * A page of a session's path, oldest first: from the root to `$3` (by default the session's active
 * leaf), the messages deeper than `$4`, at most `$5` (null: all), with their siblings' ids when `$6`.
 * The session must be the caller's (`$2`), checked once, not joined per row.
 * A session with no branches (as many messages as its path is long, most sessions) is read by depth,
 * one index range scan, and its messages have no siblings to look up; a branched one is walked up from
 * its leaf by primary key, only as far as the page's start. On a 100-message session the walk and the
 * siblings' lookups cost 1.2 ms of PostgreSQL CPU a page of 50 (bench, 2026-12-04).
 * Hand-written (the second hot read the design allows): every read of a conversation goes through it.
 */
const PATH_PAGE = `
  WITH RECURSIVE session AS (
    SELECT active_leaf_id, message_count FROM chat_sessions WHERE id = $1 AND user_id = $2
  ), leaf AS (
    SELECT m.id, m.parent_id, m.depth, (SELECT message_count FROM session) = m.depth + 1 AS linear
      FROM messages m
     WHERE m.id = COALESCE($3::uuid, (SELECT active_leaf_id FROM session)) AND m.session_id = $1
       AND EXISTS (SELECT FROM session)
  ), path AS (
    SELECT id, parent_id, depth FROM leaf WHERE NOT linear
    UNION ALL
    SELECT m.id, m.parent_id, m.depth FROM path p JOIN messages m ON m.id = p.parent_id
     WHERE p.depth > $4::int + 1
  ), page AS (
    SELECT m.id, m.session_id, m.parent_id, m.depth, m.role, m.content, m.status, m.provider, m.model,
           m.prompt_tokens, m.completion_tokens, m.latency_ms, m.error, m.created_at
      FROM path JOIN messages m ON m.id = path.id WHERE path.depth > $4::int
    UNION ALL
    (SELECT m.id, m.session_id, m.parent_id, m.depth, m.role, m.content, m.status, m.provider, m.model,
           m.prompt_tokens, m.completion_tokens, m.latency_ms, m.error, m.created_at
       FROM leaf, messages m
      WHERE leaf.linear AND m.session_id = $1 AND m.depth > $4::int AND m.depth <= leaf.depth
      ORDER BY m.depth LIMIT $5)
  )
  SELECT page.*,
         CASE WHEN $6::boolean AND NOT (SELECT linear FROM leaf) THEN COALESCE(
           (SELECT array_agg(s.id ORDER BY s.seq) FROM messages s WHERE s.parent_id = page.parent_id),
           (SELECT array_agg(s.id ORDER BY s.seq) FROM messages s
             WHERE s.session_id = page.session_id AND s.parent_id IS NULL)) END AS sibling_ids
    FROM page
   ORDER BY page.depth LIMIT $5`;

/** A row of {@link PATH_PAGE}, as `pg` parses it. */
interface PathRow {
  id: string;
  session_id: string;
  parent_id: string | null;
  depth: number;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  provider: string | null;
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  latency_ms: number | null;
  error: string | null;
  created_at: Date;
  /** Null for a message of a session without branches: its own id only. */
  sibling_ids: string[] | null;
}

type DepthKey = [number];
const isDepthKey = (key: unknown[]): key is DepthKey =>
  key.length === 1 && Number.isSafeInteger(key[0]) && (key[0] as number) >= 0;

/**
 * Message storage: a session's messages form a tree; each write also bumps the session's count,
 * activity and active leaf in the same transaction, so a session's counters never drift from its messages.
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    @InjectRepository(ChatSession) private readonly sessions: Repository<ChatSession>,
  ) {}

  /** One of the caller's sessions as a turn needs it. SessionNotFoundException when it is not the caller's. */
  async turnSession(userId: string, sessionId: string): Promise<TurnSession> {
    if (!UUID_PATTERN.test(sessionId)) throw new SessionNotFoundException();
    const session = await this.sessions
      .createQueryBuilder('s')
      .leftJoin('s.activeLeaf', 'leaf')
      .select(['s.id', 's.title', 's.systemPrompt', 's.provider', 's.model', 'leaf.id', 'leaf.depth'])
      .where('s.id = :sessionId AND s.userId = :userId', { sessionId, userId })
      .getOne();
    if (!session) throw new SessionNotFoundException();
    const leaf = session.activeLeaf;
    return {
      id: session.id,
      title: session.title,
      systemPrompt: session.systemPrompt,
      provider: session.provider,
      model: session.model,
      activeLeaf: leaf ? { id: leaf.id, depth: leaf.depth } : null,
    };
  }

  /** A message of a session (the caller's session: checked by {@link turnSession} first). */
  async inSession(sessionId: string, messageId: string): Promise<MessageRecord | null> {
    if (!UUID_PATTERN.test(messageId)) return null;
    const message = await this.messages.findOneBy({ id: messageId, sessionId });
    return message && toRecord(message);
  }

  /** {@link inSession}, or MessageNotFoundException. */
  async get(sessionId: string, messageId: string): Promise<MessageRecord> {
    const message = await this.inSession(sessionId, messageId);
    if (!message) throw new MessageNotFoundException();
    return message;
  }

  /** An answer (an assistant message) of one of the caller's sessions, or MessageNotFoundException. */
  async answerOf(userId: string, sessionId: string, messageId: string): Promise<MessageRecord> {
    if (!UUID_PATTERN.test(sessionId) || !UUID_PATTERN.test(messageId)) throw new MessageNotFoundException();
    const message = await this.messages
      .createQueryBuilder('m')
      .innerJoin('m.session', 's', 's.userId = :userId', { userId })
      .where('m.id = :messageId AND m.sessionId = :sessionId', { messageId, sessionId })
      .getOne();
    if (!message || message.role !== 'assistant') throw new MessageNotFoundException();
    return toRecord(message);
  }

  /** An answer by id alone, with its siblings (null when it is gone): for streams that outlive their request. */
  async answerById(id: string): Promise<ListedMessage | null> {
    const message = await this.messages.findOneBy({ id });
    return message && (await this.withSiblings([toRecord(message)]))[0];
  }

  /**
   * The complete turns, oldest first, on the path that ends at `tipId`, newest kept first while they fit
   * `budgetChars` (at most MAX_CONTEXT_TURNS). Failed, unfinished or empty stopped answers are left out with
   * their questions.
   */
  async contextTurns(tipId: string | null, budgetChars: number): Promise<EarlierTurn[]> {
    if (tipId === null) return [];
    const rows: { role: MessageRole; status: MessageStatus; content: string }[] = await this.dataSource.query(
      CONTEXT_WALK,
      [tipId, budgetChars, 4 * MAX_CONTEXT_TURNS],
    );
    const turns: EarlierTurn[] = [];
    let used = 0;
    // Newest first: each answer, then its question.
    for (let i = 0; i + 1 < rows.length && turns.length < MAX_CONTEXT_TURNS; i += 2) {
      const [answer, question] = [rows[i], rows[i + 1]];
      if (answer.role !== 'assistant' || question.role !== 'user') break; // not a path of turns
      if (!usableInContext(answer)) continue;
      const turn: EarlierTurn = {
        question: { role: 'user', content: question.content },
        answer: { role: 'assistant', content: answer.content },
      };
      used += turnChars(turn);
      if (used > budgetChars) break;
      turns.push(turn);
    }
    return turns.reverse();
  }

  /**
   * Stores a question (under `parent`, null for a first question) with its answer (or, for a streamed
   * answer, its `streaming` placeholder); the answer becomes the session's active leaf.
   * With `followLeaf`, `parent` is the active leaf the turn was prepared on: if another turn moved the
   * leaf meanwhile, the question goes under the new leaf instead, so that turns sent at once to a session
   * form one path, as they did before trees (not branches nobody asked for).
   * SessionNotFoundException when the session is gone.
   */
  async addTurn(
    sessionId: string,
    parent: TreeNode | null,
    question: NewQuestion,
    answer: NewAnswer,
    followLeaf = false,
  ): Promise<{ question: MessageRecord; answer: MessageRecord }> {
    const answerId = randomUUID();
    return this.dataSource.transaction(async (manager) => {
      const expected = followLeaf ? { leafId: parent?.id ?? null } : undefined;
      let under = parent;
      if (!(await this.bumpSession(manager, sessionId, 2, answerId, answer.sessionTitle, expected))) {
        if (!expected) throw new SessionNotFoundException();
        under = await this.lockedLeaf(manager, sessionId); // the leaf moved, or the session is gone
        await this.bumpSession(manager, sessionId, 2, answerId, answer.sessionTitle);
      }
      const questionRow = this.messages.create({
        id: randomUUID(),
        sessionId,
        parentId: under?.id ?? null,
        depth: under ? under.depth + 1 : 0,
        role: 'user',
        content: question.content,
        status: 'complete',
        createdAt: question.askedAt,
      });
      const answerRow = this.answerRow(sessionId, questionRow, answer, answerId);
      await manager.insert(Message, [questionRow, answerRow]);
      await this.countUsage(manager, answerRow);
      return { question: toRecord(questionRow), answer: toRecord(answerRow) };
    });
  }

  /**
   * Stores a whole conversation in a new, empty session (the gateway's `store`): its messages as one
   * path, oldest first, then the answer to the last one, which becomes the active leaf. Only the answer
   * counts in the usage: the earlier answers were not generated here.
   */
  async addConversation(
    sessionId: string,
    turns: { role: 'user' | 'assistant'; content: string }[],
    answer: NewAnswer,
  ): Promise<MessageRecord> {
    const answerId = randomUUID();
    return this.dataSource.transaction(async (manager) => {
      await this.bumpSession(manager, sessionId, turns.length + 1, answerId, answer.sessionTitle);
      const askedAt = new Date();
      const rows = turns.map((turn, depth) =>
        this.messages.create({
          id: randomUUID(),
          sessionId,
          parentId: null,
          depth,
          role: turn.role,
          content: turn.content,
          status: 'complete',
          createdAt: askedAt,
        }),
      );
      rows.forEach((row, i) => (row.parentId = i === 0 ? null : rows[i - 1].id));
      const answerRow = this.answerRow(sessionId, rows[rows.length - 1], answer, answerId);
      await manager.insert(Message, [...rows, answerRow]);
      await this.countUsage(manager, answerRow);
      return toRecord(answerRow);
    });
  }

  /**
   * The session's active leaf, its row locked until the transaction ends. SessionNotFoundException when it
   * is gone. Two statements: a locking read that joined the leaf would see the session's newest row but
   * not a leaf committed after the statement's snapshot (a null leaf, as PostgreSQL re-checks only the
   * locked row).
   */
  private async lockedLeaf(manager: EntityManager, sessionId: string): Promise<TreeNode | null> {
    const session = await manager
      .createQueryBuilder(ChatSession, 's')
      .select(['s.id', 's.activeLeafId'])
      .where('s.id = :sessionId', { sessionId })
      .setLock('pessimistic_write')
      .getOne();
    if (!session) throw new SessionNotFoundException();
    if (session.activeLeafId === null) return null;
    return manager.findOneOrFail(Message, {
      select: { id: true, depth: true },
      where: { id: session.activeLeafId },
    });
  }

  /** Stores another answer to a stored question (a regeneration); it becomes the session's active leaf. */
  async addAnswer(question: MessageRecord, answer: NewAnswer): Promise<MessageRecord> {
    const answerRow = this.answerRow(question.sessionId, question, answer);
    await this.dataSource.transaction(async (manager) => {
      await this.bumpSession(manager, question.sessionId, 1, answerRow.id, answer.sessionTitle);
      await manager.insert(Message, answerRow);
      await this.countUsage(manager, answerRow);
    });
    return toRecord(answerRow);
  }

  /** Adds a finished answer to its user's usage of the day, in the transaction that stores it. */
  private async countUsage(
    manager: EntityManager,
    answer: Pick<
      MessageRecord,
      'sessionId' | 'provider' | 'model' | 'status' | 'promptTokens' | 'completionTokens'
    >,
  ): Promise<void> {
    const { status, provider } = answer;
    if (isFinished(status) && provider !== null)
      await recordAnswerUsage(manager, { ...answer, status, provider });
  }

  /**
   * Completes (or fails) an answer stored as `streaming`, and counts it in its user's usage in the same
   * transaction; names an untitled session as {@link addTurn} does.
   */
  async finishAnswer(id: string, answer: Omit<NewAnswer, 'provider'>): Promise<MessageRecord> {
    const row = await this.dataSource.transaction(async (manager) => {
      const updated = await manager
        .createQueryBuilder(Message, 'm')
        .update()
        .set({
          content: answer.content,
          status: answer.status,
          model: answer.model,
          promptTokens: answer.result?.usage?.promptTokens ?? null,
          completionTokens: answer.result?.usage?.completionTokens ?? null,
          latencyMs: answer.latencyMs ?? null,
          error: answer.error ?? null,
          leaseUntil: null,
        })
        .where('id = :id AND status = :streaming', { id, streaming: 'streaming' })
        .returning('*')
        .execute();
      const [finished] = updated.raw as PathRow[];
      if (finished) await this.countUsage(manager, fromRow(finished));
      return finished;
    });
    if (!row) throw new SessionNotFoundException(); // the session (and its messages) was deleted meanwhile
    // No transaction: the title only fills an untitled session, whenever it comes.
    if (answer.sessionTitle) {
      await this.sessions
        .createQueryBuilder()
        .update()
        .set({ title: () => 'COALESCE(title, :title)' })
        .where('id = :sessionId', { sessionId: row.session_id, title: answer.sessionTitle })
        .execute();
    }
    return fromRow(row);
  }

  /**
   * A page of the path of one of the caller's sessions that ends at `leafId` (by default its active
   * leaf), oldest first, `limit` at a time after the cursor of the previous page.
   * SessionNotFoundException when the session is not the caller's; a 400 when the leaf is not one of its messages.
   */
  async page(
    userId: string,
    sessionId: string,
    limit: number,
    cursor?: string,
    leafId?: string,
  ): Promise<MessagePage> {
    if (!UUID_PATTERN.test(sessionId)) throw new SessionNotFoundException();
    if (leafId !== undefined && !UUID_PATTERN.test(leafId)) throw notAMessageOf('leaf');
    const after = cursor ? decodeCursor(cursor, isDepthKey)[0] : -1;
    const rows = await this.pathRows(userId, sessionId, leafId ?? null, after, limit + 1, true);
    if (rows.length === 0) await this.explainEmptyPath(userId, sessionId, leafId);
    const messages = rows.slice(0, limit).map(listed);
    const last = messages.at(-1);
    return { messages, nextCursor: rows.length > limit && last ? encodeCursor([last.depth]) : null };
  }

  /** The active path of one of the caller's sessions, oldest first, with failed answers left out (the quick-chat seed's history). */
  async history(userId: string, sessionId: string): Promise<MessageRecord[]> {
    const rows = await this.pathRows(userId, sessionId, null, -1, null, false);
    return rows.map(fromRow).filter((message) => message.status !== 'failed');
  }

  /** Each question of the active path with its answer ('' while none, or when it failed), oldest first. */
  async exchanges(userId: string, sessionId: string): Promise<Exchange[]> {
    const path = (await this.pathRows(userId, sessionId, null, -1, null, false)).map(fromRow);
    return path.flatMap((message, i) => {
      if (message.role !== 'user') return [];
      const answer = path[i + 1];
      const answered = answer?.role === 'assistant' && answer.status !== 'failed';
      return [
        {
          id: message.id,
          sessionId: message.sessionId,
          prompt: message.content,
          response: answered ? answer.content : '',
          createdAt: message.createdAt,
        },
      ];
    });
  }

  /** Messages with their siblings' ids, for a response (pages carry them from {@link PATH_PAGE}). */
  async withSiblings(messages: MessageRecord[]): Promise<ListedMessage[]> {
    const parents = [...new Set(messages.map((m) => m.parentId).filter((id) => id !== null))];
    const rootsOf = [...new Set(messages.filter((m) => m.parentId === null).map((m) => m.sessionId))];
    const siblings = await this.messages.find({
      select: { id: true, parentId: true, sessionId: true },
      where: [
        // Array parameters, not IN ($1, …, $n): one statement text (one prepared statement) for any count.
        ...(parents.length ? [{ parentId: anyOf('parents', parents) }] : []),
        ...(rootsOf.length ? [{ sessionId: anyOf('roots', rootsOf), parentId: IsNull() }] : []),
      ],
      order: { seq: 'ASC' },
    });
    return messages.map((message) => ({
      ...message,
      siblingIds: siblings
        .filter((s) =>
          message.parentId === null
            ? s.parentId === null && s.sessionId === message.sessionId
            : s.parentId === message.parentId,
        )
        .map((s) => s.id),
    }));
  }

  private pathRows(
    userId: string,
    sessionId: string,
    leafId: string | null,
    afterDepth: number,
    limit: number | null,
    siblings: boolean,
  ): Promise<PathRow[]> {
    return this.dataSource.query(PATH_PAGE, [sessionId, userId, leafId, afterDepth, limit, siblings]);
  }

  /** Why a path read found nothing: not the caller's session (404), a leaf not of it (400), or an empty session. */
  private async explainEmptyPath(userId: string, sessionId: string, leafId?: string): Promise<void> {
    if (!(await this.sessions.existsBy({ id: sessionId, userId }))) throw new SessionNotFoundException();
    if (leafId !== undefined && !(await this.inSession(sessionId, leafId))) throw notAMessageOf('leaf');
  }

  private answerRow(
    sessionId: string,
    question: Pick<Message, 'id' | 'depth'>,
    answer: NewAnswer,
    id: string = randomUUID(),
  ): Message {
    return this.messages.create({
      id,
      sessionId,
      parentId: question.id,
      depth: question.depth + 1,
      role: 'assistant',
      content: answer.content,
      status: answer.status,
      provider: answer.provider,
      model: answer.model,
      promptTokens: answer.result?.usage?.promptTokens ?? null,
      completionTokens: answer.result?.usage?.completionTokens ?? null,
      latencyMs: answer.latencyMs ?? null,
      error: answer.error ?? null,
      leaseUntil: answer.leaseUntil ?? null,
      createdAt: new Date(),
    });
  }

  /**
   * Counts `added` messages, marks the session active, makes `leafId` its active leaf and, when it has no
   * title, gives it `title`. First in its transaction: the session's row stays locked until the
   * messages are inserted, so it cannot be deleted under them. With `expected`, only while the active
   * leaf is still `expected.leafId`. False when no row was updated; without `expected`,
   * SessionNotFoundException then.
   */
  private async bumpSession(
    manager: EntityManager,
    sessionId: string,
    added: number,
    leafId: string,
    title: string | null | undefined,
    expected?: { leafId: string | null },
  ): Promise<boolean> {
    const update = manager
      .createQueryBuilder()
      .update(ChatSession)
      .set({
        messageCount: () => `message_count + ${added}`,
        updatedAt: () => 'now()',
        activeLeafId: leafId,
        ...(title ? { title: () => 'COALESCE(title, :title)' } : {}),
      })
      .where('id = :sessionId', { sessionId, title });
    if (expected) {
      update.andWhere('active_leaf_id IS NOT DISTINCT FROM :expectedLeaf', { expectedLeaf: expected.leafId });
    }
    const { affected } = await update.execute();
    if (!affected && !expected) throw new SessionNotFoundException();
    return Boolean(affected);
  }
}

/** Whether an answer is sent to the model in later contexts: complete, or stopped with some text. */
function usableInContext(answer: { status: MessageStatus; content: string }): boolean {
  return answer.status === 'complete' || (answer.status === 'stopped' && answer.content !== '');
}

function toRecord(message: Message): MessageRecord {
  return {
    id: message.id,
    sessionId: message.sessionId,
    parentId: message.parentId,
    depth: message.depth,
    role: message.role,
    content: message.content,
    status: message.status,
    provider: message.provider ?? null,
    model: message.model ?? null,
    promptTokens: message.promptTokens ?? null,
    completionTokens: message.completionTokens ?? null,
    latencyMs: message.latencyMs ?? null,
    error: message.error ?? null,
    createdAt: message.createdAt.toISOString(),
  };
}

function fromRow(row: PathRow): MessageRecord {
  return {
    id: row.id,
    sessionId: row.session_id,
    parentId: row.parent_id,
    depth: row.depth,
    role: row.role,
    content: row.content,
    status: row.status,
    provider: row.provider,
    model: row.model,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    latencyMs: row.latency_ms,
    error: row.error,
    createdAt: row.created_at.toISOString(),
  };
}

function listed(row: PathRow): ListedMessage {
  return { ...fromRow(row), siblingIds: row.sibling_ids ?? [row.id] };
}
