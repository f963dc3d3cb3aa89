import { describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { Deadline } from './deadline.js';

describe('Deadline', () => {
  it('aborts as expired when the armed timer runs out', async () => {
    const deadline = new Deadline(20, new AbortController().signal);
    deadline.arm();

    await sleep(60);

    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.expired).toBe(true);
  });

  it('does not run out while disarmed, and restarts on arm', async () => {
    const deadline = new Deadline(40, new AbortController().signal);
    deadline.arm();
    await sleep(25);
    deadline.arm();
    await sleep(25);
    deadline.disarm();
    await sleep(60);

    expect(deadline.signal.aborted).toBe(false);
    deadline.release();
  });

  it('follows the caller signal without expiring', () => {
    const caller = new AbortController();
    const deadline = new Deadline(1_000, caller.signal);
    deadline.arm();

    caller.abort();

    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.expired).toBe(false);
    deadline.release();
  });

  it('aborts its signal on release', () => {
    const deadline = new Deadline(1_000, new AbortController().signal);
    deadline.release();
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.expired).toBe(false);
  });
});
