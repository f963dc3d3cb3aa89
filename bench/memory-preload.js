/* global process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Loaded into the app with BENCH_NODE_ARGS='--import ./bench/memory-preload.js' to see where its memory
// goes. Answers over IPC: {cmd: 'memory', gc} with `process.memoryUsage()` and V8's heap spaces (after a
// full GC when `gc` is true, to tell live objects from garbage), and {cmd: 'heap-snapshot', file} by
// writing a heap snapshot there (the process stops for as long as that takes). Not with BENCH_PROFILE=1:
// bench/profiler-preload.js answers every message too.
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

process.on('message', (message) => {
  if (message?.cmd === 'memory') {
    if (message.gc) gc();
    const spaces = {};
    for (const space of v8.getHeapSpaceStatistics()) spaces[space.space_name] = space.space_used_size;
    process.send?.({ cmd: 'memory', ok: true, usage: process.memoryUsage(), spaces });
  } else if (message?.cmd === 'heap-snapshot') {
    process.send?.({ cmd: 'heap-snapshot', ok: true, file: v8.writeHeapSnapshot(message.file) });
  }
});
process.channel?.unref();
