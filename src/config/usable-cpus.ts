import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

type ReadText = (path: string) => string;

const readText: ReadText = (path) => readFileSync(path, 'utf8');

/**
 * The CPUs this process can keep busy: its CPU affinity (`os.availableParallelism()`), capped by the CPU
 * quota of its cgroup, which is how a container's `--cpus` / compose `cpus:` limit is enforced. Node 20's
 * availableParallelism() counts the affinity only, so a container limited to 2 CPUs on a 16-core host
 * would otherwise start 16 workers that the kernel then throttles.
 */
export function usableCpus(read: ReadText = readText): number {
  const affinity = availableParallelism();
  const quota = cgroupCpuQuota(read);
  return quota === null ? affinity : Math.max(1, Math.min(affinity, Math.floor(quota)));
}

/**
 * The cgroup's CPU quota in CPUs (quota over period), or null when there is none or it cannot be read:
 * cgroup v2's `cpu.max` ("max 100000" or "200000 100000"), else cgroup v1's `cpu.cfs_quota_us` (-1: none)
 * and `cpu.cfs_period_us`. Inside a container these files at the mount's root are the container's own.
 */
export function cgroupCpuQuota(read: ReadText = readText): number | null {
  const v2 = readOrNull(read, '/sys/fs/cgroup/cpu.max');
  if (v2 !== null) {
    const [quota, period] = v2.trim().split(/\s+/);
    return quotaOf(quota, period);
  }
  const v1Quota = readOrNull(read, '/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
  const v1Period = readOrNull(read, '/sys/fs/cgroup/cpu/cpu.cfs_period_us');
  return v1Quota === null || v1Period === null ? null : quotaOf(v1Quota.trim(), v1Period.trim());
}

function quotaOf(quota: string | undefined, period: string | undefined): number | null {
  const cpus = Number(quota) / Number(period);
  return Number.isFinite(cpus) && cpus > 0 ? cpus : null; // 'max', -1 or anything unparsable: no quota
}

function readOrNull(read: ReadText, path: string): string | null {
  try {
    return read(path);
  } catch {
    return null;
  }
}
