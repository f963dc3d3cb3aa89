// The ceilings' own measurements: the json and db ceilings before and after the throughput scenarios,
// and the turn ceiling (POST /turn/<n> of bench/ceiling-db.js) sending a scenario's mean context.
import { CFG, WARM_UP_REQUESTS, range } from '../lib/config.js';
import { QUESTION } from '../lib/api.js';
import { cannon, measure, measureAgainstDbCeiling, postsInTurn } from '../lib/load.js';

/** One run of each ceiling, as `results.ceilings.json<round>` and `db<round>` (when the ceilings run). */
export async function ceilingRound(ctx, results, round) {
  const { jsonCeiling, dbCeiling } = ctx;
  if (!jsonCeiling) return;
  results.ceilings[`json${round}`] = await measure(
    `ceiling: bare node:http JSON (${round})`,
    { url: jsonCeiling.url },
    jsonCeiling.pid,
  );
  results.ceilings[`db${round}`] = await measure(
    `ceiling: node:http + pg, 20 rows (${round})`,
    { url: dbCeiling.url },
    dbCeiling.pid,
  );
}

/**
 * The turn ceiling (POST /turn/<session> of bench/ceiling-db.js): the least a chat turn does, sending
 * the context the app's POST scenario sent on average (`postContext`: the fake's counters over that
 * scenario), into as many sessions. Warmed up untimed first, as the app was.
 */
export async function measureTurnCeiling(ceiling, fake, postContext) {
  const content = `${QUESTION}under load.`; // the POST scenario's question
  const perTurn = (total) => (postContext.requests ? total / postContext.requests : 0);
  ceiling.child.send({
    context: {
      messages: perTurn(postContext.totalMessages) - 1,
      chars: perTurn(postContext.totalChars) - content.length,
    },
  });
  const turns = postsInTurn(
    ceiling.url,
    range(CFG.postSessions).map((i) => `/turn/${i}`),
    { 'content-type': 'application/json' },
    { content },
  );
  await cannon({ ...turns, amount: WARM_UP_REQUESTS });
  fake.resetStats();
  const result = await measureAgainstDbCeiling(
    'ceiling: a bare turn (2 INSERTs + OpenAI SDK → fake)',
    turns,
    ceiling.pid,
    ceiling,
  );
  return { ...result, context: fake.resetStats() };
}
