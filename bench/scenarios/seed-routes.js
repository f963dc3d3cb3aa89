// The seeds' routes, their scenarios in modules of their own: whole-conversation reads against the history
// ceiling (`history`, bench/scenario-history.js) and the session lists as their clients call them
// (`seed-lists`, bench/scenario-seed-lists.js). Here only what each needs from the run.
import { CFG, log } from '../lib/config.js';
import { api } from '../lib/api.js';
import { cannon, meanOfRuns, measure, measureAgainstDbCeiling, median } from '../lib/load.js';
import { forkCeiling, profiled } from '../lib/processes.js';
import { runHistory } from '../scenario-history.js';
import { measureSeedLists } from '../scenario-seed-lists.js';

export async function runHistoryReads(ctx, results) {
  results.history = await runHistory({
    app: ctx.app,
    base: ctx.base,
    password: ctx.password,
    tools: {
      forkCeiling,
      ceilingEnv: ctx.ceilingEnv,
      measureAgainstCeiling: measureAgainstDbCeiling,
      profiled,
      log,
      cannon,
    },
  });
}

export async function runSeedLists(ctx, results) {
  results.seedLists = await profiled(ctx.app, 'seed-lists', () =>
    measureSeedLists(
      {
        base: ctx.base,
        ...ctx.users.list,
        password: ctx.password,
        accessToken: ctx.users.list.token,
        pid: ctx.app.pid,
        rounds: CFG.segments,
        duration: CFG.duration / CFG.segments,
      },
      { api, cannon, measure, median, meanOfRuns },
    ),
  );
}
