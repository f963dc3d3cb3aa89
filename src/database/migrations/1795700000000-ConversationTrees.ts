import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TurnChars1795500000000 } from './1795500000000-TurnChars.js';

/**
 * Conversations become trees of messages (edit, regenerate, branches):
 * - `messages.parent_id`: null for a session's first question; an answer's parent is its question, a
 *   question's parent the answer before it. Existing sessions become one path: each message's parent is
 *   the one before it in its session (an answer's, its `reply_to`).
 * - `messages.depth`: the message's position on its path from the root (0 for a first question), the
 *   keyset of a path's pages.
 * - `chat_sessions.active_leaf_id`: the last message of the path a session shows; for existing sessions,
 *   their last message.
 * `reply_to` is the answer's parent now; the running totals of TurnChars (a total per session) cannot
 * describe several paths, so they go: a context is read by walking up its own path.
 */
export class ConversationTrees1795700000000 implements MigrationInterface {
  name = 'ConversationTrees1795700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages ADD COLUMN parent_id uuid, ADD COLUMN depth integer`);
    await q.query(`
      UPDATE messages m SET parent_id = COALESCE(m.reply_to, t.previous), depth = t.position
        FROM (SELECT id, lag(id) OVER session_order AS previous,
                     (row_number() OVER session_order - 1)::int AS position
                FROM messages WINDOW session_order AS (PARTITION BY session_id ORDER BY seq)) t
       WHERE m.id = t.id`);
    await q.query(`ALTER TABLE messages ALTER COLUMN depth SET NOT NULL`);
    await q.query(`
      ALTER TABLE messages ADD CONSTRAINT messages_parent_id_fkey
        FOREIGN KEY (parent_id) REFERENCES messages (id) ON DELETE CASCADE`);
    // A message's children, oldest first (siblings, branch switching; the foreign key's cascade).
    await q.query(`CREATE INDEX messages_parent_idx ON messages (parent_id, seq)`);
    // A session's messages by depth: the pages of a session without branches.
    await q.query(`CREATE INDEX messages_session_depth_idx ON messages (session_id, depth)`);
    // A session's first questions (the siblings of a root).
    await q.query(
      `CREATE INDEX messages_session_roots_idx ON messages (session_id, seq) WHERE parent_id IS NULL`,
    );

    await q.query(`ALTER TABLE chat_sessions ADD COLUMN active_leaf_id uuid`);
    await q.query(`
      UPDATE chat_sessions c SET active_leaf_id = last.id
        FROM (SELECT DISTINCT ON (session_id) session_id, id FROM messages ORDER BY session_id, seq DESC) last
       WHERE c.id = last.session_id`);
    // Deferred: a turn moves the leaf first (locking the session's row), then inserts the messages.
    // Added after the UPDATE: under a deferred key, the UPDATE would leave a check pending for each
    // session, and PostgreSQL refuses to index or alter a table with pending checks in the transaction.
    await q.query(`
      ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_active_leaf_id_fkey
        FOREIGN KEY (active_leaf_id) REFERENCES messages (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED`);
    // The foreign key's ON DELETE SET NULL looks sessions up by leaf for every message deleted.
    await q.query(`CREATE INDEX chat_sessions_active_leaf_idx ON chat_sessions (active_leaf_id)`);

    await q.query(`DROP INDEX messages_session_turn_idx`);
    await q.query(`DROP INDEX messages_session_questions_idx`);
    await q.query(`DROP INDEX messages_reply_to_idx`);
    await q.query(`ALTER TABLE messages DROP COLUMN turn_start, DROP COLUMN reply_to`);
    await q.query(`ALTER TABLE chat_sessions DROP COLUMN context_chars`);
  }

  /** Back to lists: each session keeps its active path; messages of other branches are deleted. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      WITH RECURSIVE path AS (
        SELECT m.id, m.parent_id FROM chat_sessions c JOIN messages m ON m.id = c.active_leaf_id
        UNION ALL
        SELECT m.id, m.parent_id FROM path p JOIN messages m ON m.id = p.parent_id
      )
      DELETE FROM messages WHERE id NOT IN (SELECT id FROM path)`);
    await q.query(`ALTER TABLE messages ADD COLUMN reply_to uuid REFERENCES messages (id) ON DELETE CASCADE`);
    await q.query(`UPDATE messages SET reply_to = parent_id WHERE role = 'assistant'`);
    await q.query(`CREATE INDEX messages_reply_to_idx ON messages (reply_to) WHERE reply_to IS NOT NULL`);
    await q.query(
      `CREATE INDEX messages_session_questions_idx ON messages (session_id, seq) WHERE role = 'user'`,
    );
    await q.query(
      `UPDATE chat_sessions c SET message_count = (SELECT count(*) FROM messages WHERE session_id = c.id)`,
    );
    await q.query(`ALTER TABLE chat_sessions DROP COLUMN active_leaf_id`);
    await q.query(`ALTER TABLE messages DROP COLUMN parent_id, DROP COLUMN depth`);
    // TurnChars' running totals, computed again by its own migration.
    await new TurnChars1795500000000().up(q);
  }
}
