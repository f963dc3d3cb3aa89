import fs from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';

export class DataDirInUseError extends Error {
  constructor(dataDir: string) {
    super(
      `The embedded database in ${dataDir} is already open in another process (is the server running?). ` +
        'Stop that process, or set DATABASE_URL to use a PostgreSQL server.',
    );
  }
}

/** The owner of a lock: kept inside the lock directory, so that it comes and goes with the lock. */
interface Owner {
  pid: number;
  host: string;
}
const OWNER_FILE = 'owner.json';

/**
 * Lock directories this process holds. A lock that names our own pid but is not among them was left by
 * an earlier process that had the same pid (a restarted container numbers its processes alike).
 */
const held = new Set<string>();

/** proper-lockfile removes its lock directory with rmdir; ours holds the owner file, so remove it whole. */
const lockFs = {
  ...fs,
  rmdir: (path: string, callback: (error: NodeJS.ErrnoException | null) => void): void =>
    fs.rm(path, { recursive: true, force: true }, callback),
  rmdirSync: (path: string): void => fs.rmSync(path, { recursive: true, force: true }),
};

function lockOptions(lockPath: string): lockfile.LockOptions {
  return {
    lockfilePath: lockPath,
    stale: Infinity, // proper-lockfile judges by age alone: staleness is judged here (isStale)
    update: REFRESH_MS,
    realpath: false,
    fs: lockFs,
    onCompromised: () => undefined,
  };
}

const REFRESH_MS = 5_000;
/**
 * How long a lock may go unrefreshed before it is presumed abandoned, when its owner cannot be seen to
 * be gone: 15 s when it cannot be told at all (another host, no owner file yet); 60 s when its pid
 * runs, which after a crash may be a later process reusing the pid (a live owner refreshes every 5 s).
 */
const ABANDONED_AFTER_MS = { unknown: 15_000, running: 60_000 };

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/**
 * Keeps other processes off a data directory (`postmaster.lock` in it) until the returned release is
 * called or this process exits. A lock whose owner process is gone (a SIGKILL, a crash) is taken over
 * at once; a running owner's is refused with {@link DataDirInUseError} (see ABANDONED_AFTER_MS).
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = resolve(dataDir, 'postmaster.lock');
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dataDir, lockOptions(lockPath)).catch((error: unknown) => {
      if (errorCode(error) !== 'ELOCKED' || !isStale(lockPath)) throw error;
      return takeOver(dataDir, lockPath);
    });
  } catch (error) {
    if (errorCode(error) === 'ELOCKED') throw new DataDirInUseError(dataDir);
    throw error;
  }
  const owner: Owner = { pid: process.pid, host: hostname() };
  // Adding a file moves the directory's mtime, by which proper-lockfile knows the lock is still its own
  // (else it stops refreshing it, and the lock ages out under a live owner): put the mtime back.
  const { atime, mtime } = fs.statSync(lockPath);
  fs.writeFileSync(join(lockPath, OWNER_FILE), JSON.stringify(owner));
  fs.utimesSync(lockPath, atime, mtime);
  held.add(lockPath);
  return async () => {
    held.delete(lockPath);
    await release();
  };
}

/**
 * Replaces a stale lock with ours. A second lock serialises take-overs: of two processes starting
 * at once on a crashed data directory, one takes over and the other then finds a live owner.
 */
async function takeOver(dataDir: string, lockPath: string): Promise<() => Promise<void>> {
  const releaseTakeOver = await lockfile.lock(lockPath, { realpath: false }); // ELOCKED: another takes over
  try {
    if (!isStale(lockPath)) throw new DataDirInUseError(dataDir);
    fs.rmSync(lockPath, { recursive: true, force: true });
    return await lockfile.lock(dataDir, lockOptions(lockPath));
  } finally {
    await releaseTakeOver();
  }
}

function isStale(lockPath: string): boolean {
  const running = ownerRuns(lockPath);
  if (running === false) return true;
  let age: number;
  try {
    age = Date.now() - fs.statSync(lockPath).mtimeMs;
  } catch {
    return true; // released meanwhile
  }
  return age > ABANDONED_AFTER_MS[running ? 'running' : 'unknown'];
}

/** Whether the lock's owner process runs; undefined when that cannot be told (another host, no owner file). */
function ownerRuns(lockPath: string): boolean | undefined {
  let owner: Partial<Owner>;
  try {
    owner = JSON.parse(fs.readFileSync(join(lockPath, OWNER_FILE), 'utf8')) as Partial<Owner>;
  } catch {
    return undefined; // not written yet, or unreadable
  }
  const { pid, host } = owner;
  if (host !== hostname() || typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0)
    return undefined;
  if (pid === process.pid) return held.has(lockPath);
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH'; // EPERM: it exists, under another user
  }
}
