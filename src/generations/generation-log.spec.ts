import { describe, expect, it } from '@jest/globals';
import { GenerationLog } from './generation-log.js';

async function collect(events: AsyncIterable<{ id: number; event: string }>): Promise<[number, string][]> {
  const seen: [number, string][] = [];
  for await (const event of events) seen.push([event.id, event.event]);
  return seen;
}

describe('GenerationLog', () => {
  it('numbers events from 1 and replays those after an id, then follows live ones to the final event', async () => {
    const log = new GenerationLog(100);
    log.append('message.created', '{}');
    log.append('delta', '"a"');
    const following = collect(log.follow(1, new AbortController().signal));
    log.append('delta', '"b"');
    log.append('message.completed', '{}');
    log.append('delta', '"after the end"');
    expect(await following).toEqual([
      [2, 'delta'],
      [3, 'delta'],
      [4, 'message.completed'],
    ]);
    expect(log.ended).toBe(true);
  });

  it('keeps at most its bound, dropping the oldest events; a follower whose next event was dropped ends, never skipping', async () => {
    const log = new GenerationLog(2);
    for (const name of ['message.created', 'delta', 'delta', 'error']) log.append(name, '{}');
    expect(await collect(log.follow(2, new AbortController().signal))).toEqual([
      [3, 'delta'],
      [4, 'error'],
    ]);
    expect(await collect(log.follow(0, new AbortController().signal))).toEqual([]);
    expect(await collect(log.follow(1, new AbortController().signal))).toEqual([]);
  });

  it('ends a live follower that falls behind by more than the bound', async () => {
    const log = new GenerationLog(2);
    log.append('message.created', '{}');
    const seen: number[] = [];
    for await (const event of log.follow(0, new AbortController().signal)) {
      seen.push(event.id);
      for (let i = 0; i < 3; i += 1) log.append('delta', '{}'); // faster than this follower reads
    }
    expect(seen).toEqual([1]);
  });

  it('ends a follower when its signal aborts, or when the log is closed without a final event', async () => {
    const log = new GenerationLog(10);
    log.append('message.created', '{}');
    const controller = new AbortController();
    const aborted = collect(log.follow(1, controller.signal));
    controller.abort();
    expect(await aborted).toEqual([]);
    const closed = collect(log.follow(0, new AbortController().signal));
    log.close();
    expect(await closed).toEqual([[1, 'message.created']]);
  });
});
