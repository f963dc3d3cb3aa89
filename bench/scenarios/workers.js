// Scenarios 1–3 again with one worker per usable CPU (HTTP_WORKERS=auto), on the same database: the rows
// "(N workers)", so that every run shows what the workers add (BENCH_WORKERS=0 leaves them out).
// The app's own rule for HTTP_WORKERS=auto (built by `npm run bench`), so that the workers' app is started
// only when it would be more than one process.
import { usableCpus } from '../../dist/config/usable-cpus.js';
import { CFG, MODE, WARM_UP_REQUESTS, log, wants } from '../lib/config.js';
import { postsInto } from '../lib/api.js';
import { cannon, measureAgainstDbCeiling } from '../lib/load.js';
import { startApp, stopChild } from '../lib/processes.js';
import { warmUpPosting } from './post.js';
import { listRun, pageRun, warmedAgainstDbCeiling } from './reads.js';

export async function runWorkers(ctx, results) {
  const workersWanted = CFG.compareWorkers && !CFG.profile && MODE === 'postgres' && usableCpus() > 1;
  if (!workersWanted || ctx.app.workers !== 1 || !['list', 'messages', 'post'].some(wants)) return;
  const pooled = await startApp(ctx.databaseEnv, ctx.fake.baseUrl, { HTTP_WORKERS: 'auto' });
  log(`app with ${pooled.workers} workers: pid ${pooled.pid} at ${pooled.baseUrl}`);
  const byWorkers = (results.workers = { processes: pooled.workers });
  if (wants('list'))
    byWorkers.list = await warmedAgainstDbCeiling(
      ctx,
      `${pooled.workers} workers: GET chat-sessions`,
      listRun(ctx, pooled.baseUrl),
      pooled,
    );
  if (wants('messages'))
    byWorkers.messages = await warmedAgainstDbCeiling(
      ctx,
      `${pooled.workers} workers: GET …/messages`,
      pageRun(ctx, pooled.baseUrl),
      pooled,
    );
  if (wants('post')) {
    // as many untimed turns per worker as the first app had
    await cannon({
      ...postsInto(ctx, ctx.sessions.post, 'warm-up', pooled.baseUrl),
      amount: WARM_UP_REQUESTS * pooled.workers,
    });
    await warmUpPosting(ctx, pooled.baseUrl);
    byWorkers.post = await measureAgainstDbCeiling(
      `${pooled.workers} workers: POST …/messages`,
      postsInto(ctx, ctx.sessions.post, 'under load', pooled.baseUrl),
      pooled.pid,
      ctx.dbCeiling,
    );
  }
  await stopChild(pooled.child);
}
