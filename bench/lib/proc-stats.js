/* global process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// CPU time and RSS of processes, read from /proc: the app (its workers included), the ceilings, the local
// PostgreSQL server and the bench process itself.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { MODE } from './config.js';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The CPU time (user + system, ms) in a `/proc/<pid>/stat` line. */
function statCpuMs(stat) {
  const fields = statFields(stat);
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** Every process's `/proc/<pid>/stat` line, as [pid, line] (processes that exit meanwhile are left out). */
function* procStats() {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      yield [Number(entry), readFileSync(`/proc/${entry}/stat`, 'utf8')];
    } catch {
      // the process exited meanwhile
    }
  }
}

/** The fields of a stat line after the command name (which is in parentheses and may hold spaces). */
const statFields = (stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');

/** The pids whose parent is `pid` (the app's workers under HTTP_WORKERS). */
export function childrenOf(pid) {
  const children = [];
  for (const [each, stat] of procStats()) if (Number(statFields(stat)[1]) === pid) children.push(each);
  return children;
}

/** A process and its children: what the app is, workers included. */
export const processTree = (pid) => [pid, ...childrenOf(pid)];

/** CPU time (user + system) a process and its children have used so far, in ms; null when /proc is not there. */
export function cpuMs(pid) {
  try {
    let total = 0;
    for (const each of processTree(pid)) total += statCpuMs(readFileSync(`/proc/${each}/stat`, 'utf8'));
    return total;
  } catch {
    return null;
  }
}

/**
 * CPU time (ms) used so far by each process of the local PostgreSQL server (every process named
 * `postgres`), by pid; null when there is none to see (embedded mode, or a server on another machine).
 */
export function dbServerCpuMs() {
  if (MODE !== 'postgres') return null;
  const byPid = new Map();
  for (const [pid, stat] of procStats()) if (stat.includes('(postgres)')) byPid.set(pid, statCpuMs(stat));
  return byPid.size > 0 ? byPid : null;
}

/** The CPU time PostgreSQL's processes used between two {@link dbServerCpuMs} readings (ones that exited meanwhile left out). */
export function dbCpuBetween(before, after) {
  if (!before || !after) return null;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** CPU time (ms) of this process: the load generator and the OpenAI fake. */
export const benchCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** RSS (or another /proc status field, in KiB) of these processes together; null when one cannot be read. */
export function rssKiB(pids, field = 'VmRSS') {
  try {
    const pattern = new RegExp(`^${field}:\\s+(\\d+)`, 'm');
    let total = 0;
    for (const pid of pids) {
      const match = pattern.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (!match) return null;
      total += Number(match[1]);
    }
    return total;
  } catch {
    return null;
  }
}
