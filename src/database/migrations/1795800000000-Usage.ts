import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage and budgets:
 * - `usage_days`: per user, UTC day, provider and model, the tokens, answers and failures of the answers
 *   finished that day, added to in the transaction that stores each answer. Filled here from the
 *   messages already stored (an answer counts on the day it was created).
 * - `users.quota_daily_tokens`, `users.quota_monthly_tokens`: a user's own budgets (null: the defaults,
 *   -1: none).
 */
export class Usage1795800000000 implements MigrationInterface {
  name = 'Usage1795800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE usage_days (
        user_id uuid NOT NULL,
        day date NOT NULL,
        provider varchar(16) NOT NULL,
        model varchar(100) NOT NULL DEFAULT '',
        prompt_tokens bigint NOT NULL DEFAULT 0,
        completion_tokens bigint NOT NULL DEFAULT 0,
        answers integer NOT NULL DEFAULT 0,
        failures integer NOT NULL DEFAULT 0,
        CONSTRAINT usage_days_pkey PRIMARY KEY (user_id, day, provider, model),
        CONSTRAINT usage_days_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX usage_days_day_idx ON usage_days (day)`);
    await q.query(`
      INSERT INTO usage_days (user_id, day, provider, model, prompt_tokens, completion_tokens, answers, failures)
      SELECT s.user_id, (m.created_at AT TIME ZONE 'UTC')::date, m.provider, COALESCE(m.model, ''),
             COALESCE(sum(m.prompt_tokens), 0), COALESCE(sum(m.completion_tokens), 0),
             count(*), count(*) FILTER (WHERE m.status = 'failed')
        FROM messages m JOIN chat_sessions s ON s.id = m.session_id
       WHERE m.role = 'assistant' AND m.provider IS NOT NULL AND m.status <> 'streaming'
       GROUP BY 1, 2, 3, 4`);
    await q.query(`
      ALTER TABLE users ADD COLUMN quota_daily_tokens bigint, ADD COLUMN quota_monthly_tokens bigint,
        ADD CONSTRAINT users_quota_check CHECK (quota_daily_tokens >= -1 AND quota_monthly_tokens >= -1)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE users DROP CONSTRAINT users_quota_check,
        DROP COLUMN quota_daily_tokens, DROP COLUMN quota_monthly_tokens`);
    await q.query(`DROP TABLE usage_days`);
  }
}
