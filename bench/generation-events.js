/* global AbortController, console -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The app-side CPU of one streamed delta in the generation event log (src/generations), in memory and
// through Redis (XADD), with one follower reading each answer as the request's own stream does.
//   npm run build && node bench/generation-events.js [redis://127.0.0.1:6379/12]
import { randomUUID } from 'node:crypto';
import process from 'node:process';
import { setImmediate, setTimeout } from 'node:timers/promises';
import { InMemoryGenerationEvents } from '../dist/generations/in-memory-generation-events.js';
import { RedisGenerationEvents } from '../dist/generations/redis-generation-events.js';

const settings = { leaseMs: 30_000, retainMs: 1_000, maxEvents: 10_000 };
const ANSWERS = 200;
const DELTAS = 100;

async function answer(events) {
  const id = randomUUID();
  const writer = events.open(id, () => undefined);
  const follower = (async () => {
    let seen = 0;
    for await (const _event of (await events.follow(id, 0, new AbortController().signal)) ?? []) seen++;
    return seen;
  })();
  writer.append('message.created', { id });
  for (let i = 0; i < DELTAS; i++) {
    writer.append('delta', { message_id: id, text: 'word ' });
    if (i % 10 === 0) await setImmediate(); // a model's deltas come in separate ticks
  }
  writer.append('message.completed', { id });
  writer.end();
  return follower;
}

async function measure(events, label) {
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: ANSWERS }, () => answer(events)));
  const cpu = process.cpuUsage(cpuBefore);
  const ms = (cpu.user + cpu.system) / 1000;
  const perDelta = (ms * 1000) / (ANSWERS * DELTAS);
  console.log(
    `${label}: ${ANSWERS * DELTAS} deltas, CPU ${ms.toFixed(0)} ms, ${perDelta.toFixed(1)} µs a delta`,
  );
}

const memory = new InMemoryGenerationEvents(settings);
await measure(memory, 'memory (warm-up)');
await measure(memory, 'memory');
const redis = new RedisGenerationEvents(process.argv[2] ?? 'redis://127.0.0.1:6379/12', settings);
await measure(redis, 'redis (warm-up)');
await measure(redis, 'redis');
await setTimeout(500); // the last XADDs and expiries
await redis.onApplicationShutdown();
