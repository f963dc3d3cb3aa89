// Scenario 3, posting a message (one session per connection, BENCH_POST_SESSIONS) beside the db ceiling,
// then the turn ceiling sending the context it sent.
import { POST_WARM_UP_S } from '../lib/config.js';
import { postsInto } from '../lib/api.js';
import { cannon, measureAgainstDbCeiling } from '../lib/load.js';
import { profiled } from '../lib/processes.js';
import { measureTurnCeiling } from './ceilings.js';

/**
 * Untimed posting into the scenario's own sessions first: the seeding's 2,000 turns, each the first of a
 * fresh session, left the long-context path cold, and a POST's segments then rose through the whole
 * measurement (0.13 → 0.18 of the db ceiling in one run, 0.15 → 0.23 in the next); the sessions' contexts
 * also reach their budget, where a long conversation stays.
 */
export const warmUpPosting = (ctx, origin) =>
  cannon({ ...postsInto(ctx, ctx.sessions.post, 'warm-up', origin), duration: POST_WARM_UP_S });

export async function runPost(ctx, results) {
  const { app, fake, dbCeiling } = ctx;
  const sessions = ctx.sessions.post;
  await warmUpPosting(ctx, ctx.base);
  fake.resetStats();
  results.scenarios.post = await profiled(app, 'post', () =>
    measureAgainstDbCeiling(
      `POST …/messages (OpenAI SDK → fake), ${sessions.length} sessions`,
      postsInto(ctx, sessions, 'under load'),
      app.pid,
      dbCeiling,
    ),
  );
  results.scenarios.post.context = fake.resetStats();
  if (dbCeiling)
    results.ceilings.turn = await measureTurnCeiling(dbCeiling, fake, results.scenarios.post.context);
}
