import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Generations that outlive their connection:
 * - status `stopped`: an answer the user stopped, its partial text kept;
 * - `messages.lease_until`: until when the instance generating a `streaming` answer holds it; a lapsed
 *   lease means the instance died, and the answer is marked `failed` (`interrupted`). Answers left
 *   `streaming` by an earlier release have none, and count as lapsed;
 * - `idempotency_keys`: the turns created under a client's `Idempotency-Key`, honoured 24 hours.
 */
export class ResumableGenerations1795830000000 implements MigrationInterface {
  name = 'ResumableGenerations1795830000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages DROP CONSTRAINT messages_status_check`);
    await q.query(
      `ALTER TABLE messages ADD CONSTRAINT messages_status_check CHECK (status IN ('complete', 'streaming', 'failed', 'stopped'))`,
    );
    await q.query(`ALTER TABLE messages ADD COLUMN lease_until timestamptz`);
    await q.query(
      `CREATE INDEX messages_streaming_lease_idx ON messages (lease_until) WHERE status = 'streaming'`,
    );
    await q.query(`
      CREATE TABLE idempotency_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        key varchar(255) NOT NULL,
        answer_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT idempotency_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT idempotency_keys_answer_id_fkey FOREIGN KEY (answer_id) REFERENCES messages (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX idempotency_keys_user_key_key ON idempotency_keys (user_id, key)`);
    await q.query(`CREATE INDEX idempotency_keys_answer_idx ON idempotency_keys (answer_id)`);
    await q.query(`CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP INDEX messages_streaming_lease_idx`);
    await q.query(`ALTER TABLE messages DROP COLUMN lease_until`);
    await q.query(`UPDATE messages SET status = 'complete' WHERE status = 'stopped'`);
    await q.query(`ALTER TABLE messages DROP CONSTRAINT messages_status_check`);
    await q.query(
      `ALTER TABLE messages ADD CONSTRAINT messages_status_check CHECK (status IN ('complete', 'streaming', 'failed'))`,
    );
  }
}
