import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A row's username as the application now stores it (see `normalizeUsername`). */
const NORMAL = 'normalize(u.username, NFKC)';

/**
 * Usernames are now stored NFKC-normalised (as Django does). This normalises the existing ones where
 * that is safe: the normal form fits the column and names no other account (by its name or by its
 * normal form, case-insensitively). The others are left as they were, never merged, and each is
 * reported in the migration log; README "Usernames" gives the query that lists them at any time.
 */
export class NormalizedUsernames1795610000000 implements MigrationInterface {
  name = 'NormalizedUsernames1795610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE users u SET username = ${NORMAL}
       WHERE u.username IS NOT NFKC NORMALIZED
         AND char_length(${NORMAL}) <= 150
         AND NOT EXISTS (
           SELECT 1 FROM users o
            WHERE o.id <> u.id
              AND lower(${NORMAL}) IN (lower(o.username), lower(normalize(o.username, NFKC))))`);
    const kept = (await q.query(
      `SELECT u.id, u.username, ${NORMAL} AS normal FROM users u
        WHERE u.username IS NOT NFKC NORMALIZED ORDER BY u.created_at`,
    )) as { id: string; username: string; normal: string }[];
    for (const { id, username, normal } of kept) {
      q.connection.logger.logMigration(
        `Username clash: user ${id} keeps the name ${JSON.stringify(username)}, whose NFKC form ` +
          `${JSON.stringify(normal)} is another account's name or too long; it cannot log in by that ` +
          `name until an operator renames one of the two (README: Usernames).`,
        q,
      );
    }
  }

  async down(): Promise<void> {
    // the forms the usernames had before are not kept: nothing to undo
  }
}
