import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { usingPostgresServer } from './utils/test-app.js';

async function scratchDatabases(): Promise<string[]> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'migration\\_check\\_%'`,
    );
    return rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

// CI runs `npm run migration:check` as a step of its own; this keeps the entities and migrations in
// step for whoever runs the suite on PostgreSQL (on the embedded database the check takes a fresh PGlite, ~20 s).
(usingPostgresServer ? describe : describe.skip)('npm run migration:check', () => {
  it('finds the entities and the migrations in agreement, on a scratch database it drops after', async () => {
    const before = await scratchDatabases();
    const run = spawnSync(process.execPath, ['dist/database/migration-check.js'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: process.env.DATABASE_URL as string },
      encoding: 'utf8',
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toContain('No changes in database schema were found');
    expect(await scratchDatabases()).toEqual(before);
  });
});
