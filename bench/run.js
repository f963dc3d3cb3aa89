/* global console, process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// `npm run bench`: throughput and latency of the built server (dist/main.js) against two ceilings measured
// in the same run, on PostgreSQL when DATABASE_URL is set (fresh databases of its own on that server,
// dropped at the end), else on the embedded database (a fresh temp DATA_DIR). See bench/README.md.
//
// bench/lib/ holds what the scenarios share (settings, processes, /proc readings, load generation, the
// seeding, the report and its targets); bench/scenarios/ one module per scenario or group. A new scenario:
// a module exporting `run<Name>(ctx, results)`, a line in the sequence below, and its seeding (if any) in
// lib/seed.js, its row or targets (if any) in lib/report.js and lib/targets.js.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startOpenAiFake } from './openai-fake.js';
import { formatSummary, summarise } from './profile-summary.js';
import { measureEmbeddedStart } from './embedded-start.js';
import { CFG, MODE, ROOT, log, wants } from './lib/config.js';
import { atCleanup, profiles, runAndExit, setUpDatabases, startServers, stopChild } from './lib/processes.js';
import { report } from './lib/report.js';
import { seed } from './lib/seed.js';
import { runBig } from './scenarios/big.js';
import { runBudgets } from './scenarios/budgets.js';
import { runStreamCeiling } from './scenarios/first-delta.js';
import { ceilingRound } from './scenarios/ceilings.js';
import { runGateway } from './scenarios/gateway.js';
import { runLogin } from './scenarios/login.js';
import { runPost } from './scenarios/post.js';
import { runList, runMessages } from './scenarios/reads.js';
import { runRealistic } from './scenarios/realistic.js';
import { runSearch } from './scenarios/search.js';
import { runHistoryReads, runSeedLists } from './scenarios/seed-routes.js';
import { runStream } from './scenarios/stream.js';
import { runManyStreams } from './scenarios/many-streams.js';
import { runWorkers } from './scenarios/workers.js';

async function main() {
  log(
    `mode ${MODE}; ${CFG.connections} connections × ${CFG.duration} s; node ${process.version}; ${cpus().length} CPUs`,
  );
  if (CFG.profile || CFG.profileWhole) {
    mkdirSync(CFG.profileDir, { recursive: true });
    log(`profiling the app into ${CFG.profileDir} (numbers are lower while profiling)`);
  }
  // first, while nothing else of the bench runs
  const embeddedStart = wants('embedded-start') ? await measureEmbeddedStart(ROOT, log) : null;
  const fake = await startOpenAiFake();
  atCleanup(() => fake.close());
  const databases = await setUpDatabases(fake);
  const ctx = await startServers(fake, databases); // the run's shared state: servers, users, sessions
  await seed(ctx);

  // The scenarios, in the order they run: the ceilings, the throughput scenarios (each beside the db
  // ceiling), the ceilings again, then the rest. Each writes its part of `results`.
  const results = { ceilings: {}, scenarios: {}, embeddedStart };
  await ceilingRound(ctx, results, 1);
  if (wants('list')) await runList(ctx, results);
  if (wants('messages')) await runMessages(ctx, results);
  if (wants('search')) await runSearch(ctx, results);
  if (wants('history')) await runHistoryReads(ctx, results);
  if (wants('post')) await runPost(ctx, results);
  if (wants('gateway')) await runGateway(ctx, results);
  if (wants('budgets')) await runBudgets(ctx, results);
  await runWorkers(ctx, results); // scenarios 1–3 again with HTTP_WORKERS=auto, when wanted and possible
  await ceilingRound(ctx, results, 2);
  if (wants('big')) await runBig(ctx, results);
  if (wants('stream')) await runStream(ctx, results);
  if (wants('streams9k')) await runManyStreams(ctx, results); // on an app of its own
  if (wants('realistic')) await runRealistic(ctx, results);
  if (['first-delta', 'burst', 'realistic'].some(wants)) await runStreamCeiling(ctx, results);
  if (wants('seed-lists')) await runSeedLists(ctx, results);
  if (wants('login')) await runLogin(ctx, results);

  const { app } = ctx;
  if (CFG.profileWhole) {
    await stopChild(app.child); // the app writes its --cpu-prof file as it exits
    const file = readdirSync(CFG.profileDir).find(
      (f) => f.includes(`.${app.pid}.`) && f.endsWith('.cpuprofile'),
    );
    if (file) profiles.push({ name: 'whole run', file: join(CFG.profileDir, file) });
  }
  report(results, {
    appPid: app.pid,
    workers: app.workers,
    databaseServer: databases.databaseServer,
    profiles,
  });
  if (profiles.length > 0) {
    console.log('\nCPU profiles (self time; node bench/profile-summary.js FILE --filter REGEX for more):');
    for (const { name, file } of profiles) {
      console.log(
        formatSummary(`${name} (${file})`, summarise(JSON.parse(readFileSync(file, 'utf8'))), { top: 15 }),
      );
    }
  }
}

await runAndExit(main);
