/* global process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The database of a ceiling process (bench/ceiling-db.js, bench/ceiling-stream.js): on PostgreSQL
// (CEILING_DATABASE_URL: a fresh database of the bench's) a pool of CEILING_POOL_SIZE connections; without
// it, a PGlite of its own served over @electric-sql/pglite-socket on a private Unix socket (as
// src/database/embedded-postgres.ts does) with a pool of one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Resolves to {pool, close}: `close` ends the pool and, when embedded, the PGlite and its directories. */
export async function openCeilingPool() {
  const url = process.env.CEILING_DATABASE_URL;
  if (url) {
    const pool = new pg.Pool({
      connectionString: url,
      max: Number(process.env.CEILING_POOL_SIZE ?? 10),
      idleTimeoutMillis: 0,
    });
    return { pool, close: () => pool.end() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ceiling-pgdata-'));
  const socketDir = mkdtempSync(join(tmpdir(), 'bench-ceiling-sock-'));
  const db = await PGlite.create(join(dataDir, 'pgdata'));
  const server = new PGLiteSocketServer({ db, path: join(socketDir, '.s.PGSQL.5432'), maxConnections: 1 });
  await server.start();
  // idleTimeoutMillis 0: PGlite has one session, so a reconnect after the pool's default 10 s idle
  // timeout would find the named statement still prepared ("prepared statement … already exists").
  const pool = new pg.Pool({
    host: socketDir,
    port: 5432,
    user: 'postgres',
    database: 'postgres',
    max: 1,
    idleTimeoutMillis: 0,
  });
  return {
    pool,
    close: async () => {
      await pool.end().catch(() => undefined);
      await server.stop();
      await db.close();
      rmSync(socketDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
