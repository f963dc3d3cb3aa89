import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `anthropic` as a session's provider, and `api_keys`: personal keys for the OpenAI-compatible gateway,
 * stored as an HMAC-SHA-256 digest, revocable, optionally expiring.
 */
export class ApiKeysAnthropic1795840000000 implements MigrationInterface {
  name = 'ApiKeysAnthropic1795840000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_provider_check`);
    await q.query(`
      ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_provider_check
        CHECK (provider IN ('openai', 'gemini', 'anthropic', 'echo'))`);
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        name varchar(100) NOT NULL,
        prefix varchar(16) NOT NULL,
        key_hash char(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        expires_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
        CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    // A user's keys not revoked, newest first: the list, the per-user cap and revocation of them all.
    await q.query(
      `CREATE INDEX api_keys_user_idx ON api_keys (user_id, created_at DESC) WHERE revoked_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_keys`);
    await q.query(`UPDATE chat_sessions SET provider = NULL WHERE provider = 'anthropic'`);
    await q.query(`ALTER TABLE chat_sessions DROP CONSTRAINT chat_sessions_provider_check`);
    await q.query(`
      ALTER TABLE chat_sessions ADD CONSTRAINT chat_sessions_provider_check
        CHECK (provider IN ('openai', 'gemini', 'echo'))`);
  }
}
