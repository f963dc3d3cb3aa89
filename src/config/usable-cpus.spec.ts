import { describe, expect, it } from '@jest/globals';
import { availableParallelism } from 'node:os';
import { cgroupCpuQuota, usableCpus } from './usable-cpus.js';

/** A reader of the given files; any other path fails as a missing file does. */
const files =
  (contents: Record<string, string>) =>
  (path: string): string => {
    const text = contents[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };

const V2 = '/sys/fs/cgroup/cpu.max';
const V1_QUOTA = '/sys/fs/cgroup/cpu/cpu.cfs_quota_us';
const V1_PERIOD = '/sys/fs/cgroup/cpu/cpu.cfs_period_us';

describe('cgroupCpuQuota', () => {
  it('reads cgroup v2 cpu.max', () => {
    expect(cgroupCpuQuota(files({ [V2]: '200000 100000\n' }))).toBe(2);
    expect(cgroupCpuQuota(files({ [V2]: '150000 100000\n' }))).toBe(1.5);
    expect(cgroupCpuQuota(files({ [V2]: 'max 100000\n' }))).toBeNull();
  });

  it('falls back to cgroup v1 cfs quota and period', () => {
    expect(cgroupCpuQuota(files({ [V1_QUOTA]: '50000\n', [V1_PERIOD]: '100000\n' }))).toBe(0.5);
    expect(cgroupCpuQuota(files({ [V1_QUOTA]: '-1\n', [V1_PERIOD]: '100000\n' }))).toBeNull();
  });

  it('is null without cgroup files or with unreadable contents', () => {
    expect(cgroupCpuQuota(files({}))).toBeNull();
    expect(cgroupCpuQuota(files({ [V2]: 'garbage' }))).toBeNull();
    expect(cgroupCpuQuota(files({ [V1_QUOTA]: '100000\n' }))).toBeNull(); // no period
  });
});

describe('usableCpus', () => {
  it('is the CPU affinity when there is no quota', () => {
    expect(usableCpus(files({}))).toBe(availableParallelism());
    expect(usableCpus(files({ [V2]: 'max 100000' }))).toBe(availableParallelism());
  });

  it('is capped by a quota, rounded down, at least one', () => {
    expect(usableCpus(files({ [V2]: '100000 100000' }))).toBe(1);
    expect(usableCpus(files({ [V2]: '50000 100000' }))).toBe(1);
    expect(usableCpus(files({ [V2]: '150000 100000' }))).toBe(1); // 1.5 CPUs: one worker, not two throttled
  });

  it('never exceeds the affinity however large the quota', () => {
    expect(usableCpus(files({ [V2]: '6400000 100000' }))).toBe(Math.min(64, availableParallelism()));
  });
});
