/* global performance -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Seeding, before anything is measured: the users, the sessions each wanted scenario reads or posts into,
// untimed turns, and on PostgreSQL what autovacuum would do meanwhile.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { CFG, MODE, WARM_UP_REQUESTS, log, range, wants } from './config.js';
import { QUESTION, api, newSession, postsInto } from './api.js';
import { cannon, mapLimit } from './load.js';
import { seedBigSessions } from '../scenarios/big.js';
import { seedSearch } from '../scenarios/search.js';

/** Adds to `ctx` the `password` and `users` and the `sessions` of the scenarios (and `bigTree`). */
export async function seed(ctx) {
  const t0 = performance.now();
  ctx.password = `Bench-${randomBytes(12).toString('hex')}!`;
  ctx.users = {};
  for (const name of ['list', 'post', 'stream']) {
    const username = `bench_${name}_${randomBytes(3).toString('hex')}`;
    await api(ctx.base, 'POST', '/api/v1/auth/register', { body: { username, password: ctx.password } });
    const pair = await api(ctx.base, 'POST', '/api/v1/auth/login', {
      body: { username, password: ctx.password },
    });
    ctx.users[name] = { username, token: pair.access_token };
  }
  if (wants('search')) await seedSearch(ctx);
  const { base, users } = ctx;
  const sessionsOf = (count, token) => mapLimit(range(count), 8, () => newSession(base, token));
  const sessions = (ctx.sessions = { big: [], fresh: [] });
  const listSessions = await sessionsOf(CFG.listSessions, users.list.token);
  sessions.page = listSessions[0];
  if (wants('messages'))
    // One turn at a time: turns posted at once into one session would all answer its same leaf, as
    // siblings, and leave a shorter path than the page's.
    await mapLimit(range(CFG.pageMessages / 2), 1, (i) =>
      api(base, 'POST', `/api/v1/chat-sessions/${sessions.page}/messages`, {
        token: users.list.token,
        body: { content: `${QUESTION}${i}.` },
      }),
    );
  // One session per connection: sixteen posts at once into one session would also measure its row lock.
  sessions.post = ['post', 'budgets'].some(wants) ? await sessionsOf(CFG.postSessions, users.post.token) : [];
  ctx.bigTree = null; // what the big sessions are: their message count, branches and active path
  if (wants('big')) await seedBigSessions(ctx);
  if (['post', 'big', 'budgets'].some(wants)) {
    // Untimed turns, before the statistics are taken: a posting scenario with no earlier one would
    // otherwise pay for a cold JIT (BENCH_ONLY=big made the ratio ×1.03 instead of ×1.6), and on
    // PostgreSQL for plans made while the tables were near-empty (sequential scans that a server's
    // autovacuum replaces within a minute; BENCH_ONLY=post measured 0.07 of the db ceiling instead of 0.15).
    const warmUpSessions = await sessionsOf(WARM_UP_REQUESTS, users.post.token);
    await cannon({ ...postsInto(ctx, warmUpSessions, 'warm-up'), amount: WARM_UP_REQUESTS });
  }
  sessions.realistic = wants('realistic') ? await sessionsOf(CFG.realisticClients, users.stream.token) : [];
  sessions.stream = wants('stream') ? await sessionsOf(CFG.streamSessions, users.stream.token) : [];
  if (MODE === 'postgres') {
    // What autovacuum would do within a minute, done now rather than during the measurements: the
    // seeding leaves tens of thousands of dead session rows and new messages behind.
    const client = new pg.Client({ connectionString: ctx.databaseEnv.DATABASE_URL });
    await client.connect();
    await client.query('VACUUM (ANALYZE) chat_sessions, messages');
    await client.query('CHECKPOINT').catch(() => undefined); // needs a superuser or pg_checkpoint
    await client.end();
  }
  log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s (${ctx.fake.stats.requests} fake calls)`);
  ctx.fake.resetStats();
}
