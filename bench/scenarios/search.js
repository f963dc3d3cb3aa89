// Scenario 8, "search": full-text search over BENCH_SEARCH_MESSAGES messages written with bulk SQL
// (bench/search-seed.js), beside the db ceiling; judged against the session list's throughput.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
// The app's own embedded server (built by `npm run bench`), to seed the embedded database while the app is stopped.
import { EmbeddedPostgres } from '../../dist/database/embedded-postgres.js';
import { CFG, MODE, log } from '../lib/config.js';
import { api, auth } from '../lib/api.js';
import { profiled, startApp, stopChild } from '../lib/processes.js';
import { SEARCH_QUERIES, seedSearchData } from '../search-seed.js';
import { warmedAgainstDbCeiling } from './reads.js';

/** Registers the search users (`ctx.users.search`) and writes the search data; may restart the app (`ctx.app`). */
export async function seedSearch(ctx) {
  const { password, databaseEnv } = ctx;
  const users = (ctx.users.search = []);
  for (let i = 0; i < CFG.searchApiUsers; i += 1) {
    const username = `bench_searcher_${randomBytes(3).toString('hex')}`;
    const { id } = await api(ctx.base, 'POST', '/api/v1/auth/register', { body: { username, password } });
    const pair = await api(ctx.base, 'POST', '/api/v1/auth/login', { body: { username, password } });
    users.push({ id, token: pair.access_token });
  }
  // Bulk SQL on the app's database: on PostgreSQL beside the app; the embedded one admits one process,
  // so the app is stopped meanwhile and started again on the seeded data (the tokens stay valid).
  const embedded = MODE === 'embedded';
  if (embedded) await stopChild(ctx.app.child);
  const pgEmbedded = embedded ? await EmbeddedPostgres.start(databaseEnv.DATA_DIR) : null;
  const client = new pg.Client(
    pgEmbedded
      ? { host: pgEmbedded.host, port: pgEmbedded.port, user: 'postgres', database: 'postgres' }
      : { connectionString: databaseEnv.DATABASE_URL },
  );
  await client.connect();
  try {
    const seeded = await seedSearchData(client, {
      apiUsers: users.map((u) => u.id),
      userCount: CFG.searchUsers,
      messageCount: CFG.searchMessages,
    });
    log(
      `search data: ${seeded.messages} messages in ${seeded.sessions} sessions of ${seeded.users} users, ` +
        `bulk SQL in ${(seeded.ms / 1000).toFixed(1)} s`,
    );
  } finally {
    await client.end();
    await pgEmbedded?.stop();
  }
  if (embedded) {
    ctx.app = await startApp(databaseEnv, ctx.fake.baseUrl);
    ctx.base = ctx.app.baseUrl;
    log(`app restarted on the seeded data: pid ${ctx.app.pid} at ${ctx.base}`);
  }
}

/** The search: each request the next of SEARCH_QUERIES, as the next of the search users. */
function searchRun(users, origin) {
  let next = 0;
  const paths = SEARCH_QUERIES.map((q) => `/api/v1/search?q=${encodeURIComponent(q)}&limit=20`);
  return {
    url: `${origin}${paths[0]}`,
    requests: [
      {
        setupRequest: (request) => {
          const i = next++;
          const user = users[Math.floor(i / paths.length) % users.length];
          return { ...request, path: paths[i % paths.length], headers: auth(user.token) };
        },
      },
    ],
  };
}

export async function runSearch(ctx, results) {
  const users = ctx.users.search;
  results.scenarios.search = await profiled(ctx.app, 'search', () =>
    warmedAgainstDbCeiling(
      ctx,
      `GET /api/v1/search?q=…&limit=20 (${SEARCH_QUERIES.length} queries × ${users.length} users in turn)`,
      searchRun(users, ctx.base),
    ),
  );
}
