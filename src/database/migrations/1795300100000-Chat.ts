import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Chat1795300100000 implements MigrationInterface {
  name = 'Chat1795300100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chat_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        title varchar(200),
        system_prompt text,
        provider varchar(16) CHECK (provider IN ('openai', 'gemini', 'echo')),
        model varchar(100),
        message_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // A user's sessions by activity (the list, keyset on updated_at, id).
    await q.query(
      `CREATE INDEX chat_sessions_user_activity_idx ON chat_sessions (user_id, updated_at DESC, id DESC)`,
    );
    await q.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY,
        session_id uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
        role varchar(16) NOT NULL CHECK (role IN ('user', 'assistant')),
        content text NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'streaming', 'failed')),
        reply_to uuid REFERENCES messages (id) ON DELETE CASCADE,
        provider varchar(16),
        model varchar(100),
        prompt_tokens integer,
        completion_tokens integer,
        latency_ms integer,
        error text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    // A session's messages in order (the page, keyset on seq; the context, newest first).
    await q.query(`CREATE UNIQUE INDEX messages_session_seq_idx ON messages (session_id, seq)`);
    // The answer to a question (context building and the question/answer views).
    await q.query(`CREATE INDEX messages_reply_to_idx ON messages (reply_to) WHERE reply_to IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE messages`);
    await q.query(`DROP TABLE chat_sessions`);
  }
}
