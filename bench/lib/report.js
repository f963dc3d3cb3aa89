/* global console, process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The report: the table (a row per scenario and ceiling, with its ratios to the ceilings), the notes below
// it, PASS/FAIL per target, and the same in bench/results.json (or BENCH_RESULTS).
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, CFG, MODE, env } from './config.js';
import { answeredCleanly, mean } from './load.js';
import { BIG_LABEL, judgeTargets, searchRatio } from './targets.js';
import { REALISTIC } from './stream.js';

const fmt = (v, d = 0) => (v === null || v === undefined ? 'n/a' : v.toFixed(d));

/** The ceilings' reference req/s (means of their rounds), and a row's ratio to the db ceiling. */
function references(c) {
  // a ceiling round with errors is no ceiling: it is left out of the reference (and reported)
  const clean = (r) => (r && answeredCleanly(r) ? r.rps : undefined);
  for (const [key, r] of Object.entries(c))
    if (r && !answeredCleanly(r))
      console.log(`WARNING: ceiling round ${key} had errors; left out of the reference`);
  const jsonRef = mean(clean(c.json1), clean(c.json2));
  const dbRef = mean(clean(c.db1), clean(c.db2));
  // scenarios measured beside the db ceiling have their own ratio (the median of their segments')
  const xDbOf = (r) => r.xDb ?? (dbRef ? r.rps / dbRef : null);
  return { jsonRef, dbRef, xDbOf };
}

function tableRows(results, { jsonRef, xDbOf }) {
  const c = results.ceilings;
  const rows = [];
  const row = (label, r) => {
    if (!r) return;
    rows.push({
      scenario: label,
      rps: r.rps,
      p50: r.p50,
      p99: r.p99,
      mean: r.latencyMean,
      cpu: r.serverCpuMsPerReq,
      dbCpu: r.dbCpuMsPerReq,
      benchCpu: r.benchCpuMsPerReq,
      errors: r.errors,
      non2xx: r.non2xx,
      xJson: jsonRef ? r.rps / jsonRef : null,
      xDb: xDbOf(r),
    });
  };
  row('ceiling: node:http JSON (before)', c.json1);
  row('ceiling: node:http JSON (after)', c.json2);
  row('ceiling: node:http + pg 20 rows (before)', c.db1);
  row('ceiling: node:http + pg 20 rows (after)', c.db2);
  row('ceiling: a bare turn (2 INSERTs + SDK)', c.turn);
  row("ceiling: a bare turn, the gateway's context", c.gatewayTurn);
  const s = results.scenarios;
  row('1. GET chat-sessions?limit=20', s.list);
  row('2. GET messages?limit=50', s.messages);
  row('3. POST message (OpenAI SDK → fake)', s.post);
  row(`8. GET search (${CFG.searchMessages} messages, ${CFG.searchUsers} users)`, s.search);
  row('10. POST /v1/chat/completions (gateway)', s.gateway);
  const { processes: workerCount, ...byWorkers } = results.workers ?? {};
  row(`1. (${workerCount} workers) GET chat-sessions`, byWorkers.list);
  row(`2. (${workerCount} workers) GET messages`, byWorkers.messages);
  row(`3. (${workerCount} workers) POST message`, byWorkers.post);
  const perSide = `${CFG.bigRounds}×${CFG.bigRequests} req`;
  row(`4a. POST into fresh sessions (${perSide})`, s.bigFresh);
  row(
    `4b. POST into ${CFG.bigSessions} ${CFG.bigMessages}-msg, ${CFG.bigBranches}-branch sessions (${perSide})`,
    s.big,
  );
  if (results.budgets) {
    row('9a. POST message, budgets off', { ...results.budgets.off, xDb: results.budgets.xDbOff });
    row('9b. POST message, budgets on', { ...results.budgets.on, xDb: results.budgets.xDbOn });
  }
  row(`6. POST auth/login (${CFG.loginConnections} conn, argon2id)`, s.login);
  row(`7. realistic model, ${CFG.realisticClients} clients (ms: added to the model's)`, s.realistic);
  row(`7. the same, stream ceiling`, s.realisticCeiling);
  row('11. one stream at a time, app (ms: to the first delta)', results.firstDelta?.app);
  row('11. one stream at a time, stream ceiling', results.firstDelta?.ceiling);
  row(`12. burst of ${results.burst?.streams} new streams, app (ms: to the first delta)`, results.burst?.app);
  row(`12. burst of ${results.burst?.streams} new streams, stream ceiling`, results.burst?.ceiling);
  return rows;
}

function printTable(rows, results, { workers, databaseServer }) {
  const workerCount = results.workers?.processes;
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'mean ms',
    'errors',
    'non-2xx',
    '×json',
    '×db',
    'CPU ms/req',
    'db CPU',
    'bench CPU',
  ];
  const table = [
    header,
    ...rows.map((r) => [
      r.scenario,
      fmt(r.rps),
      fmt(r.p50),
      fmt(r.p99),
      fmt(r.mean, 1),
      String(r.errors),
      String(r.non2xx),
      fmt(r.xJson, 3),
      fmt(r.xDb, 3),
      fmt(r.cpu, 3),
      fmt(r.dbCpu, 3),
      fmt(r.benchCpu, 3),
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((line) => line[i].length)));
  const line = (cells) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(
    `\n=== bench (${MODE}${databaseServer ? ` ${databaseServer.version}, autovacuum ${databaseServer.autovacuum}` : ''}) — the app as ${workers > 1 ? `${workers} processes (HTTP_WORKERS)` : 'one process'}${workerCount ? ` ("${workerCount} workers": HTTP_WORKERS=auto, measured after, same database)` : ''}; ${CFG.connections} connections × ${CFG.duration} s; ×db of scenarios 1–3 and the turn ceiling = the median of ${CFG.segments} segments' ratios,\n` +
      `each to the db ceiling run just before and after it (req/s and CPU: means of the segments); other rows: ratios to the mean of the ceiling rows (before/after);\n` +
      `CPU ms/req = CPU time of the serving process (app, its workers included, or ceiling; not PostgreSQL's, not the load generator's) per answered request;\n` +
      `db CPU = the same for the local PostgreSQL server's processes; bench CPU = this process's (load generator and OpenAI fake)`,
  );
  console.log(line(table[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const cells of table.slice(1)) console.log(line(cells));
}

/** The lines below the table: segment ratios, and what the table cannot show of scenarios 3–8 and 10. */
function printNotes(results, xDbOf) {
  const c = results.ceilings;
  const s = results.scenarios;
  const { processes: workerCount, ...byWorkers } = results.workers ?? {};
  const paired = [
    ['1. list', s.list],
    ['2. page', s.messages],
    ['3. POST', s.post],
    ['8. search', s.search],
    ['turn ceiling', c.turn],
    ['10. gateway', s.gateway],
    ["turn ceiling, the gateway's context", c.gatewayTurn],
    [`1. list, ${workerCount} workers`, byWorkers.list],
    [`2. page, ${workerCount} workers`, byWorkers.messages],
    [`3. POST, ${workerCount} workers`, byWorkers.post],
  ].filter(([, r]) => r?.segments);
  if (paired.length) {
    console.log('\nSegment ratios to the db ceiling beside them (median in the table):');
    for (const [label, r] of paired)
      console.log(
        `  ${label}: ${r.segments.map((x) => (x.ratio === null ? 'n/a' : x.ratio.toFixed(3))).join(', ')}` +
          ` (db ceiling beside it: ${fmt(r.dbCeiling.rps)} req/s)`,
      );
  }
  if (c.turn && s.post) {
    const meanContext = ({ context: x }) =>
      `${fmt(x.totalMessages / x.requests, 1)} messages, ${fmt(x.totalChars / x.requests)} chars`;
    console.log(
      `\n3. POST makes ×${fmt(xDbOf(s.post) / xDbOf(c.turn), 3)} of the turn ceiling (the ratio of their ratios to the db ceiling; a bare turn: ×${fmt(xDbOf(c.turn), 3)} of the db ceiling); ` +
        `mean context sent: app ${meanContext(s.post)}, turn ceiling ${meanContext(c.turn)}`,
    );
  }
  if (c.gatewayTurn && s.gateway) {
    const sent = ({ context: x }) => `${fmt(x.totalChars / x.requests)} chars`;
    console.log(
      `\n10. a gateway completion makes ×${fmt(xDbOf(s.gateway) / xDbOf(c.gatewayTurn), 3)} of the turn ceiling sending ` +
        `the same context (a bare turn: ×${fmt(xDbOf(c.gatewayTurn), 3)} of the db ceiling)` +
        (c.turn ? `, ×${fmt(xDbOf(s.gateway) / xDbOf(c.turn), 3)} of the POST's turn ceiling` : '') +
        `; mean context sent: gateway ${sent(s.gateway)}, its turn ceiling ${sent(c.gatewayTurn)}`,
    );
  }
  if (results.bigSession) {
    const b = results.bigSession;
    console.log(
      `\n4. ${BIG_LABEL} vs fresh (median of ${b.rounds.length} rounds: ` +
        `${b.rounds.map((r) => `×${r.p50Ratio.toFixed(2)}/${r.meanRatio.toFixed(2)}`).join(', ')}): ` +
        `p50 ×${b.p50Ratio.toFixed(2)}, mean ×${b.meanRatio.toFixed(2)}; ` +
        `context sent for the big session: max ${b.maxMessages} messages, max ${b.maxChars} chars (bound ${b.boundChars} = ${CFG.contextTokens} tokens × 4); ` +
        `each big session as seeded: ${b.tree.messageCount} messages, active path ${b.tree.pathLength}, the rest on its branches`,
    );
  }
  if (s.stream) {
    const t = s.stream;
    console.log(
      `5. ${t.completed}/${t.streams} SSE answers completed (error events ${t.failedEvents}, transport errors ${t.transportErrors}, non-200 ${t.non200}) ` +
        `in ${t.totalS.toFixed(1)} s; per stream p50 ${fmt(t.streamP50Ms)} ms, p99 ${fmt(t.streamP99Ms)} ms; first byte p50 ${fmt(t.firstByteP50Ms)} ms, p99 ${fmt(t.firstByteP99Ms)} ms; ` +
        `app RSS ${fmt(t.rssBeforeMiB)} → peak ${fmt(t.peakRssMiB)} MiB (VmHWM ${fmt(t.vmHwmMiB)} MiB)`,
    );
    if (t.errorSamples.length) console.log(`   errors: ${t.errorSamples.join('; ')}`);
  }
  const searchVsList = s.search && s.list ? searchRatio(s.search, s.list) : null;
  if (s.search)
    console.log(
      `8. search: p50 ${fmt(s.search.p50)} ms, p99 ${fmt(s.search.p99)} ms, ${fmt(s.search.rps)} req/s; ` +
        (searchVsList
          ? `×${fmt(searchVsList.ratio, 3)} of the session list's throughput (${searchVsList.how})`
          : 'no session list in this run to compare with (BENCH_ONLY without list)'),
    );
  if (s.login) console.log(`6. logins: ${s.login.rps.toFixed(1)}/s (≈ argon2id verifications per second)`);
  if (s.realistic) {
    const r = s.realistic;
    console.log(
      `7. realistic model (${REALISTIC.firstTokenMs} ms to the first token, ${REALISTIC.tokens} × ${REALISTIC.tokenMs} ms), ${r.clients} clients: ` +
        `app CPU ${fmt(r.serverCpuMsPerReq, 2)} ms a turn (PostgreSQL ${fmt(r.dbCpuMsPerReq, 2)}); ` +
        `latency added to the model's: first delta p50 ${fmt(r.addedFirstDeltaP50Ms, 1)} ms, p99 ${fmt(r.addedFirstDeltaP99Ms, 1)}, mean ${fmt(r.addedFirstDeltaMeanMs, 1)}; ` +
        `whole answer p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)}, mean ${fmt(r.latencyMean, 1)}; ` +
        `mean context ${fmt(r.context.totalMessages / r.context.requests, 1)} messages`,
    );
  }
}

export function report(results, { appPid, workers, databaseServer, profiles }) {
  const refs = references(results.ceilings);
  const rows = tableRows(results, refs);
  printTable(rows, results, { workers, databaseServer });
  printNotes(results, refs.xDbOf);
  const targets = judgeTargets(results, { workers, xDbOf: refs.xDbOf });
  console.log(
    `\nTargets${MODE === 'postgres' ? '' : ' (defined for PostgreSQL; shown here for the embedded database)'}:`,
  );
  for (const t of targets) {
    const value =
      typeof t.value === 'number' && !Number.isInteger(t.value) ? t.value.toFixed(3) : String(t.value);
    console.log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${value} (target ${t.limit})`);
  }
  const c = results.ceilings;
  const out = {
    mode: MODE,
    databaseServer,
    at: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    config: { ...CFG, only: CFG.only ? [...CFG.only] : null },
    appPid,
    workers,
    workersComparison: results.workers ?? null,
    reference: { jsonRps: refs.jsonRef, dbRps: refs.dbRef, turnRps: c.turn?.rps ?? null },
    ceilings: c,
    scenarios: results.scenarios,
    bigSession: results.bigSession ?? null,
    history: results.history ?? null,
    seedLists: results.seedLists ?? null,
    firstDelta: results.firstDelta ?? null,
    burst: results.burst ?? null,
    embeddedStart: results.embeddedStart,
    table: rows,
    targets,
    profiles,
  };
  const file = env.BENCH_RESULTS ?? join(BENCH_DIR, 'results.json');
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}
