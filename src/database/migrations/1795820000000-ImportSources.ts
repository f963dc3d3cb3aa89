import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `chat_sessions.source_id`: the conversation an imported session came from (`chatgpt:<id>` for ChatGPT's
 * `conversations.json`, `chatbot:<id>` for our own export), unique per user so that importing a file
 * twice adds nothing the second time. Partial: sessions made here have none.
 */
export class ImportSources1795820000000 implements MigrationInterface {
  name = 'ImportSources1795820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE chat_sessions ADD COLUMN source_id varchar(200)`);
    await q.query(`
      CREATE UNIQUE INDEX chat_sessions_user_source_idx ON chat_sessions (user_id, source_id)
       WHERE source_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX chat_sessions_user_source_idx`);
    await q.query(`ALTER TABLE chat_sessions DROP COLUMN source_id`);
  }
}
