/* global console -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The targets (bench/README.md) and their verdicts, PASS or FAIL, from a run's results.
import { CFG } from './config.js';
import { embeddedStartTargets } from '../embedded-start.js';
import { reportHistory } from '../scenario-history.js';
import { seedListsReport } from '../scenario-seed-lists.js';
import { firstDeltaReport } from '../scenarios/first-delta.js';
import { manyStreamsReport } from '../scenarios/many-streams.js';

export const TARGETS = {
  // issue 28: the reads against the db ceiling; a POST against the turn ceiling (the ratio of their ratios)
  list: 0.6,
  messages: 0.5,
  post: 0.65,
  bigLatency: 1.5,
  streamRssMiB: 600,
  searchVsList: 0.25,
  budgets: 0.9,
};
export const BIG_LABEL = `${CFG.bigMessages}-message session with ${CFG.bigBranches} branches`;

/**
 * Search's throughput over the session list's: the ratio of their ratios to the db ceiling beside each (which
 * the VM's drift between the two measurements cannot move) when both have one, else of their req/s.
 */
export function searchRatio(search, list) {
  if (search.xDb && list.xDb)
    return { ratio: search.xDb / list.xDb, how: 'the ratio of their ratios to the db ceiling beside each' };
  return { ratio: search.rps / list.rps, how: 'req/s over req/s' };
}

/**
 * The targets as [{name, value, limit, pass}]. Prints, as it goes, the seed lists' lines and the history
 * report (each module's own), which come before the targets' list.
 */
export function judgeTargets(results, { workers, xDbOf }) {
  const s = results.scenarios;
  const { processes: workerCount, ...byWorkers } = results.workers ?? {};
  const targets = [];
  const target = (name, value, limit, pass) => targets.push({ name, value, limit, pass });
  const ceilingTargets = { list: 'session list', messages: 'message page', post: 'posting a message' };
  const turnCeiling = results.ceilings.turn ? xDbOf(results.ceilings.turn) : null;
  // the POST's ratio is to the turn ceiling (without one in the run, it has no target)
  const ratioOf = (key, run) => (key !== 'post' ? xDbOf(run) : turnCeiling ? xDbOf(run) / turnCeiling : null);
  const ceilingOf = (key) => (key === 'post' ? 'turn ceiling' : 'db ceiling');
  const asRun = workers > 1 ? ` (${workers} workers)` : '';
  // the workers' rows are shown beside the targets, which are the app's as run (npm start: one process)
  for (const [scenarios, config] of [
    [s, asRun],
    [byWorkers, ` (for comparison: ${workerCount} workers)`],
  ])
    for (const [key, label] of Object.entries(ceilingTargets)) {
      if (!scenarios[key] || xDbOf(scenarios[key]) === null) continue;
      const ratio = ratioOf(key, scenarios[key]);
      if (ratio === null) continue;
      const name = `${label}${config} ≥ ${TARGETS[key].toFixed(2)} × ${ceilingOf(key)}`;
      target(name, ratio, TARGETS[key], ratio >= TARGETS[key]);
    }
  const errorCount = [
    ...['list', 'messages', 'post', 'bigFresh', 'big', 'login', 'realistic', 'search'].map((k) => s[k]),
    ...Object.values(byWorkers),
  ]
    .filter(Boolean)
    .reduce((n, r) => n + r.errors + r.non2xx, 0);
  const searchVsList = s.search && s.list ? searchRatio(s.search, s.list) : null;
  if (searchVsList)
    target(
      `search ≥ ${TARGETS.searchVsList} × the session list's throughput`,
      searchVsList.ratio,
      TARGETS.searchVsList,
      searchVsList.ratio >= TARGETS.searchVsList,
    );
  target('no errors / non-2xx in scenarios 1–4, 6–8', errorCount, 0, errorCount === 0);
  if (results.budgets) {
    const { ratio, rounds } = results.budgets;
    target(
      `POST with budgets on ≥ ${TARGETS.budgets} × budgets off (×db ratio)`,
      ratio,
      TARGETS.budgets,
      ratio >= TARGETS.budgets,
    );
    const budgetErrors = [...rounds.off, ...rounds.on].reduce((n, r) => n + r.errors + r.non2xx, 0);
    target('no errors / non-2xx in scenario 9', budgetErrors, 0, budgetErrors === 0);
  }
  for (const t of embeddedStartTargets(results.embeddedStart)) target(...t);
  const seedLists = results.seedLists && seedListsReport(results.seedLists);
  seedLists?.lines.forEach((line) => console.log(line));
  for (const t of seedLists?.targets ?? []) target(...t);
  const streamCeiling = firstDeltaReport({
    firstDelta: results.firstDelta,
    burst: results.burst,
    realistic: results.scenarios.realistic,
    realisticCeiling: results.scenarios.realisticCeiling,
  });
  streamCeiling.lines.forEach((line) => console.log(line));
  for (const t of streamCeiling.targets) target(...t);
  if (results.bigSession) {
    const b = results.bigSession;
    target(
      `${BIG_LABEL} p50 ≤ 1.5 × fresh`,
      b.p50Ratio,
      TARGETS.bigLatency,
      b.p50Ratio <= TARGETS.bigLatency,
    );
    target(
      `${BIG_LABEL} mean ≤ 1.5 × fresh`,
      b.meanRatio,
      TARGETS.bigLatency,
      b.meanRatio <= TARGETS.bigLatency,
    );
    target(
      'big-session context ≤ LLM_CONTEXT_TOKENS × 4 chars',
      b.maxChars,
      b.boundChars,
      b.maxChars <= b.boundChars,
    );
  }
  if (s.stream) {
    target(
      `${s.stream.streams} streams all complete`,
      s.stream.completed,
      s.stream.streams,
      s.stream.completed === s.stream.streams,
    );
    target(
      'stream peak RSS < 600 MiB',
      s.stream.peakRssMiB,
      TARGETS.streamRssMiB,
      s.stream.peakRssMiB < TARGETS.streamRssMiB,
    );
  }
  manyStreamsReport(s.manyStreams, target);
  const historyFailures = reportHistory(results.history);
  if (results.history)
    target('whole-conversation reads ≥ 0.6 × history ceiling (above)', historyFailures, 0, !historyFailures);
  return targets;
}
