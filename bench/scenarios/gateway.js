/* global fetch -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Scenario 10: a completion through the OpenAI-compatible gateway (API key, no session stored), beside the
// db ceiling, then a turn ceiling sending the same context (one question), so that the ratio compares like with like.
import { POST_WARM_UP_S } from '../lib/config.js';
import { QUESTION, api } from '../lib/api.js';
import { cannon, measureAgainstDbCeiling, postsInTurn } from '../lib/load.js';
import { profiled } from '../lib/processes.js';
import { measureTurnCeiling } from './ceilings.js';

export async function runGateway(ctx, results) {
  const { app, base, fake, dbCeiling } = ctx;
  const { key } = await api(base, 'POST', '/api/v1/api-keys', {
    token: ctx.users.post.token,
    body: { name: 'bench' },
  });
  const models = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
  const model = (await models.json()).data.find((m) => m.id.startsWith('openai/')).id;
  const completions = postsInTurn(
    base,
    ['/v1/chat/completions'],
    { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    { model, messages: [{ role: 'user', content: `${QUESTION}under load.` }] },
  );
  await cannon({ ...completions, duration: POST_WARM_UP_S });
  fake.resetStats();
  results.scenarios.gateway = await profiled(app, 'gateway', () =>
    measureAgainstDbCeiling(
      `POST /v1/chat/completions (${model}, gateway → fake)`,
      completions,
      app.pid,
      dbCeiling,
    ),
  );
  results.scenarios.gateway.context = fake.resetStats();
  if (dbCeiling)
    results.ceilings.gatewayTurn = await measureTurnCeiling(
      dbCeiling,
      fake,
      results.scenarios.gateway.context,
    );
}
