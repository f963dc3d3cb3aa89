// Scenarios 1 and 2, the reads: the session list and a message page, each beside the db ceiling.
import { auth } from '../lib/api.js';
import { cannon, measureAgainstDbCeiling } from '../lib/load.js';
import { profiled } from '../lib/processes.js';

/** The GET scenarios have had no traffic yet: one untimed second first, so that no segment pays for a cold JIT. */
export async function warmedAgainstDbCeiling(ctx, name, opts, server = ctx.app) {
  await cannon({ ...opts, duration: 1 });
  return measureAgainstDbCeiling(name, opts, server.pid, ctx.dbCeiling);
}

export const listRun = (ctx, origin) => ({
  url: `${origin}/api/v1/chat-sessions?limit=20`,
  headers: auth(ctx.users.list.token),
});

export const pageRun = (ctx, origin) => ({
  url: `${origin}/api/v1/chat-sessions/${ctx.sessions.page}/messages?limit=50`,
  headers: auth(ctx.users.list.token),
});

export async function runList(ctx, results) {
  results.scenarios.list = await profiled(ctx.app, 'list', () =>
    warmedAgainstDbCeiling(ctx, 'GET /api/v1/chat-sessions?limit=20', listRun(ctx, ctx.base)),
  );
}

export async function runMessages(ctx, results) {
  results.scenarios.messages = await profiled(ctx.app, 'messages', () =>
    warmedAgainstDbCeiling(ctx, 'GET …/messages?limit=50', pageRun(ctx, ctx.base)),
  );
}
