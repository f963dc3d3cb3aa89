import { execFile } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);

const PGLITE_ENTRY = require.resolve('@electric-sql/pglite'); // <package>/dist/index.cjs
/** The installed PGlite: a template made by another version is not used. */
const PGLITE_VERSION = (
  JSON.parse(readFileSync(join(dirname(PGLITE_ENTRY), '..', 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * A freshly initialised cluster made by the build (`npm run build` → `dist/embedded-template`), copied
 * into a new data directory instead of running initdb at start-up: a copy takes a fraction of a second,
 * initdb about five.
 */
export const TEMPLATE_DIR = fileURLToPath(new URL('../embedded-template', import.meta.url));
const templateCluster = join(TEMPLATE_DIR, 'pgdata');
const templateVersionFile = join(TEMPLATE_DIR, 'pglite-version');

/**
 * initdb in a process of its own, which exits when done: initdb runs in a second PGlite and its own WASM
 * module, whose memory the serving process would keep (a fresh start held 850 MiB, a restart 390).
 */
const INITDB_SCRIPT = `require(process.argv[1]).PGlite.create(process.argv[2]).then((db) => db.close())`;

/** Runs initdb into `pgdata` (which must not hold a cluster yet) in a short-lived child process. */
export async function initCluster(pgdata: string): Promise<void> {
  await promisify(execFile)(process.execPath, ['-e', INITDB_SCRIPT, PGLITE_ENTRY, pgdata]);
}

/**
 * Makes sure `pgdata` holds a cluster, without initialising one in this process: a copy of the build's
 * template, or else initdb in a child process. Built beside it and renamed into place, so that an
 * interrupted start never leaves half a cluster. A directory that is there but holds no cluster (not
 * made by us) is left to PGlite, as before.
 */
export async function ensureCluster(pgdata: string): Promise<void> {
  if (existsSync(join(pgdata, 'PG_VERSION'))) return;
  if (existsSync(pgdata) && !removeIfEmpty(pgdata)) return;
  const building = mkdtempSync(join(dirname(pgdata), `${basename(pgdata)}.init-`));
  try {
    if (!templateMatches() || !copied(templateCluster, building)) await initCluster(building);
    renameSync(building, pgdata);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    throw error;
  }
}

/** Writes the template cluster for the installed PGlite, unless it is there already. */
export async function buildTemplate(): Promise<'built' | 'up to date'> {
  if (templateMatches()) return 'up to date';
  const building = mkdtempSync(`${TEMPLATE_DIR}.building-`);
  try {
    await initCluster(join(building, 'pgdata'));
    writeFileSync(join(building, 'pglite-version'), PGLITE_VERSION);
    readableByAll(building);
    rmSync(TEMPLATE_DIR, { recursive: true, force: true });
    renameSync(building, TEMPLATE_DIR);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    throw error;
  }
  return 'built';
}

function templateMatches(): boolean {
  try {
    return (
      readFileSync(templateVersionFile, 'utf8') === PGLITE_VERSION &&
      existsSync(join(templateCluster, 'PG_VERSION'))
    );
  } catch {
    return false;
  }
}

/**
 * The build may run as another user than the server (root, and `node` in the Dockerfile): mkdtemp's
 * 0700, and PostgreSQL's 0600 files, would leave the server to run initdb itself.
 */
function readableByAll(dir: string): void {
  for (const path of [
    dir,
    ...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => join(dir, name)),
  ]) {
    const stat = statSync(path);
    chmodSync(path, stat.mode | (stat.isDirectory() ? 0o555 : 0o444));
  }
}

/** Copies a cluster; false (nothing left in `to`) when it cannot be read, as by another user. */
function copied(from: string, to: string): boolean {
  try {
    cpSync(from, to, { recursive: true });
    return true;
  } catch {
    rmSync(to, { recursive: true, force: true });
    return false;
  }
}

function removeIfEmpty(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}
