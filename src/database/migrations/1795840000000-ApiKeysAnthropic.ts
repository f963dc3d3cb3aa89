import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `anthropic` as a session's provider. */
export class ApiKeysAnthropic1795840000000 implements MigrationInterface {
  name = 'ApiKeysAnthropic1795840000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_provider_check`);
    await q.query(`
      ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_provider_check
        CHECK (provider IN ('openai', 'gemini', 'anthropic', 'echo'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE chat_sessions SET provider = NULL WHERE provider = 'anthropic'`);
    await q.query(`ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_provider_check`);
    await q.query(`
      ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_provider_check
        CHECK (provider IN ('openai', 'gemini', 'echo'))`);
  }
}
