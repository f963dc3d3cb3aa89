// Scenario 7, a realistic model: streamed turns from a fake that takes 300 ms to its first token, 20 ms a
// token (bench/lib/stream.js), on the app; scenarios/first-delta.js puts the stream ceiling under the same load.
import { CFG, POST_WARM_UP_S } from '../lib/config.js';
import { profiled } from '../lib/processes.js';
import { measureRealisticTurns, streamOne, streamTools } from '../lib/stream.js';

export async function runRealistic(ctx, results) {
  const { app, fake, users } = ctx;
  const target = {
    name: 'app',
    pid: app.pid,
    sessions: ctx.sessions.realistic,
    turn: (agent, id, content) => streamOne(agent, app.baseUrl, users.stream.token, id, content),
  };
  results.scenarios.realistic = await profiled(app, 'realistic', () =>
    measureRealisticTurns(target, fake, { durationS: CFG.duration, warmUpS: POST_WARM_UP_S }, streamTools),
  );
}
