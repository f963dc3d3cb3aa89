/* global process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Loaded into the app with `node --import ./bench/profiler-preload.js dist/main.js` when BENCH_PROFILE=1.
// The bench asks over IPC for one CPU profile per scenario: {cmd: 'profile-start'} then
// {cmd: 'profile-stop', file}. (A plain `--cpu-prof` never writes its file here: on SIGTERM, Nest's
// shutdown hooks close the app and then re-raise the signal, so the process dies by the signal.)
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const session = new Session();
session.connect();

process.on('message', (message) => {
  void handle(message).then(
    (reply) => process.send?.({ ...reply, ok: true, cmd: message.cmd }),
    (error) => process.send?.({ ok: false, cmd: message.cmd, error: String(error) }),
  );
});
process.channel?.unref();

async function handle(message) {
  if (message?.cmd === 'profile-start') {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: message.intervalUs ?? 250 });
    await session.post('Profiler.start');
    return {};
  }
  if (message?.cmd === 'profile-stop') {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(message.file, JSON.stringify(profile));
    return { file: message.file };
  }
  return {};
}
