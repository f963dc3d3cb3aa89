/* global URL, process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The OpenAI fake (bench/openai-fake.js) in a child process of its own, for scenarios that hold more sockets
// than the bench process may open beside its clients (9,000 streams: 9,000 client sockets in the bench,
// 9,000 provider sockets here). Forked with FAKE_OPTIONS (JSON); reports {port} over IPC, takes
// {cmd: 'options', options} to change its options and {cmd: 'release'} to start the streamed answers held
// by `holdFirstToken`, and exits when the parent disconnects.
import { startOpenAiFake } from './openai-fake.js';

const fake = await startOpenAiFake(JSON.parse(process.env.FAKE_OPTIONS ?? '{}'));
process.on('message', (message) => {
  if (message?.cmd === 'options') Object.assign(fake.options, message.options);
  const released = message?.cmd === 'release' ? fake.releaseHeld() : undefined;
  process.send?.({ cmd: message?.cmd, ok: true, stats: fake.stats, released });
});
process.send?.({ ready: true, port: Number(new URL(fake.baseUrl).port) });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
