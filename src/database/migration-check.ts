// `npm run migration:check`: whether the entities and the migrations describe the same schema. It
// migrates a scratch database and runs TypeORM's own `migration:generate --check` on it, which exits 1
// and prints the SQL a new migration would need when they differ. The scratch database is created on
// the configured PostgreSQL server and dropped after (or, without one, is a temporary embedded one), so
// no real data is ever touched.
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type DatabaseConfig, loadConfig } from '../config/app-config.js';

const typeormCli = join(createRequire(import.meta.url).resolve('typeorm'), '../cli.js');
const dataSource = fileURLToPath(new URL('./data-source.js', import.meta.url));

/** Runs the TypeORM CLI on the scratch database; its output goes straight to ours. */
function typeorm(args: string[], env: Record<string, string>): number {
  const { status } = spawnSync(process.execPath, [typeormCli, ...args, '-d', dataSource], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: 'inherit',
  });
  return status ?? 1;
}

function check(env: Record<string, string>): number {
  const migrated = typeorm(['migration:run'], env);
  if (migrated !== 0) return migrated;
  // The path names the file a real generate would write; --check writes nothing.
  return typeorm(['migration:generate', 'src/database/migrations/EntityDrift', '--check'], env);
}

/** A database of our own on the configured server, as the environment the CLI's data source reads. */
async function withScratchDatabase(db: Extract<DatabaseConfig, { kind: 'postgres' }>): Promise<number> {
  const name = `migration_check_${randomBytes(6).toString('hex')}`;
  const connection = db.url
    ? { connectionString: db.url }
    : { host: db.host, port: db.port, user: db.user, password: db.password, database: db.database };
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client(connection);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  let env: Record<string, string>;
  if (db.url) {
    const url = new URL(db.url);
    url.pathname = `/${name}`;
    env = { DATABASE_URL: url.toString() };
  } else {
    env = { POSTGRES_DB: name };
  }
  await admin(`CREATE DATABASE ${name}`);
  try {
    return check(env);
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

const database = loadConfig().database;
if (database.kind === 'postgres') {
  process.exitCode = await withScratchDatabase(database);
} else {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatbot-migration-check-'));
  try {
    process.exitCode = check({ DATA_DIR: dataDir });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
