// Scenario 9, "budgets" (PostgreSQL only): the POST with and without token budgets for its user,
// alternating, each beside the db ceiling.
import pg from 'pg';
import { MODE, log, wants } from '../lib/config.js';
import { postsInto } from '../lib/api.js';
import { mean, meanOfRuns, measureAgainstDbCeiling } from '../lib/load.js';
import { warmUpPosting } from './post.js';

/**
 * The POST scenario with budgets off (the user has none, and there are no defaults: the turn reads no
 * usage) and on (daily and monthly budgets the run cannot reach: one read of the user's row and the
 * month's usage rows per turn), in two rounds of alternating order, so that a drift of the machine does
 * not decide. Each side's ratio to the db ceiling is the mean of its rounds'.
 */
async function measureBudgets(databaseUrl, username, measurePost) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const setBudgets = (tokens) =>
    client.query('UPDATE users SET quota_daily_tokens = $2, quota_monthly_tokens = $2 WHERE username = $1', [
      username,
      tokens,
    ]);
  const sides = { off: [], on: [] };
  try {
    for (const order of [
      ['off', 'on'],
      ['on', 'off'],
    ])
      for (const label of order) {
        await setBudgets(label === 'on' ? '1000000000000' : null);
        sides[label].push(await measurePost(label));
      }
  } finally {
    await setBudgets(null);
    await client.end();
  }
  const xDb = (runs) => mean(...runs.map((r) => r.xDb));
  return {
    off: meanOfRuns(sides.off),
    on: meanOfRuns(sides.on),
    xDbOff: xDb(sides.off),
    xDbOn: xDb(sides.on),
    ratio: xDb(sides.on) / xDb(sides.off),
    rounds: sides,
  };
}

export async function runBudgets(ctx, results) {
  if (MODE !== 'postgres') {
    log('budgets: skipped (needs PostgreSQL: the budgets are set in the users table while the app runs)');
    return;
  }
  if (!wants('post')) await warmUpPosting(ctx, ctx.base);
  results.budgets = await measureBudgets(ctx.databaseEnv.DATABASE_URL, ctx.users.post.username, (label) =>
    measureAgainstDbCeiling(
      `POST …/messages, budgets ${label}`,
      postsInto(ctx, ctx.sessions.post, `budgets ${label}`),
      ctx.app.pid,
      ctx.dbCeiling,
    ),
  );
}
