import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `users.token_version`: carried by every access token (`ver`) and compared by the guard on each request,
 * so that a new password or a deactivation (which increment it) ends the account's access tokens at once.
 */
export class TokenVersion1795600000000 implements MigrationInterface {
  name = 'TokenVersion1795600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN token_version`);
  }
}
