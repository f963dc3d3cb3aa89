// Scenario 6: logins (argon2id verifications per second).
import { CFG } from '../lib/config.js';
import { measure } from '../lib/load.js';
import { profiled } from '../lib/processes.js';

export async function runLogin(ctx, results) {
  results.scenarios.login = await profiled(ctx.app, 'login', () =>
    measure(
      `POST /api/v1/auth/login (${CFG.loginConnections} connections)`,
      {
        url: `${ctx.base}/api/v1/auth/login`,
        connections: CFG.loginConnections,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: ctx.users.list.username, password: ctx.password }),
      },
      ctx.app.pid,
    ),
  );
}
