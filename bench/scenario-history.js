/* global console, fetch -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// BENCH_ONLY=history (issue #27): the two seeds' whole-conversation reads against the history ceiling
// (bench/ceiling-history.js), measured in the same run, alternating (C S C S … C) as the other GET
// scenarios are against the db ceiling:
// - seed 1: GET /api/v1/chat/chats/<id>/ of a 200-message chat, `Authorization: Token …`;
// - seed 2: GET /chatsessions/<id>/messages/ of a 100-exchange session, `Bearer <seed access>`.
// Both conversations are built through the seeds' own POSTs (one turn at a time, the fake answering), and
// the ceiling stores the very texts of the first.

export const HISTORY_TARGET = 0.6;
const TURNS = 100;
const QUESTION = 'What is the history of this conversation about, in a few words? Question number ';

async function call(base, method, path, { auth, body } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(auth ? { authorization: auth } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** A user with a 200-message quick-chat session and a 100-exchange sessions-seed session, built through the API. */
async function seedConversations(base, username, password) {
  await call(base, 'POST', '/api/v1/auth/register', { body: { username, password } });
  const { token } = await call(base, 'POST', '/api/v1/accounts/login/', { body: { username, password } });
  const { access } = await call(base, 'POST', '/login/', { body: { username, password } });
  const quick = { auth: `Token ${token}`, id: null };
  for (let i = 0; i < TURNS; i += 1) {
    const reply = await call(base, 'POST', '/api/v1/chat/', {
      auth: quick.auth,
      body: { message: `${QUESTION}${i}.`, ...(quick.id ? { session_id: quick.id } : {}) },
    });
    quick.id = reply.session_id;
  }
  const seed2 = { auth: `Bearer ${access}` };
  seed2.id = (await call(base, 'POST', '/chatsessions/', { auth: seed2.auth, body: {} })).id;
  for (let i = 0; i < TURNS; i += 1)
    await call(base, 'POST', `/chatsessions/${seed2.id}/messages/`, {
      auth: seed2.auth,
      body: { prompt: `${QUESTION}${i}.` },
    });
  return { quick, seed2 };
}

/**
 * Seeds the two conversations, loads the first's texts into the history ceiling, then measures each route
 * beside its ceiling path. `tools` are the bench's (bench/lib/): forkCeiling, ceilingEnv, measureAgainstCeiling
 * (measureAgainstDbCeiling), profiled, log.
 */
export async function runHistory({ app, base, password, tools }) {
  const { forkCeiling, ceilingEnv, measureAgainstCeiling, profiled, log, cannon } = tools;
  const username = `bench_history_${Math.random().toString(16).slice(2, 8)}`;
  const { quick, seed2 } = await seedConversations(base, username, password);
  const transcript = await call(base, 'GET', `/api/v1/chat/chats/${quick.id}/`, { auth: quick.auth });
  const exchanges = await call(base, 'GET', `/chatsessions/${seed2.id}/messages/`, { auth: seed2.auth });
  log(
    `history: seed 1 chat of ${transcript.messages.length} messages, seed 2 session of ${exchanges.length} exchanges`,
  );
  let ceiling = null;
  if (ceilingEnv.CEILING_DATABASE_URL) {
    ceiling = await forkCeiling('ceiling-history.js', ceilingEnv);
    await new Promise((done, reject) => {
      ceiling.child.on('message', function onLoaded(m) {
        if (m?.loaded === undefined) return;
        ceiling.child.off('message', onLoaded);
        if (m.loaded) done();
        else reject(new Error(`history ceiling: ${m.error}`));
      });
      ceiling.child.send({
        history: {
          sessionId: quick.id,
          messages: transcript.messages.map(({ role, content }) => ({ role, content })),
        },
      });
    });
  } else log('history: no history ceiling on the embedded database (PostgreSQL only)');
  const beside = (path) => ceiling && { url: `${ceiling.url}${path}`, pid: ceiling.pid };
  const scenarios = [
    [
      'seed1',
      `GET /api/v1/chat/chats/<id>/ (${transcript.messages.length} messages)`,
      quick,
      `/api/v1/chat/chats/${quick.id}/`,
      '/messages',
    ],
    [
      'seed2',
      `GET /chatsessions/<id>/messages/ (${exchanges.length} exchanges)`,
      seed2,
      `/chatsessions/${seed2.id}/messages/`,
      '/exchanges',
    ],
  ];
  const results = {};
  for (const [key, name, who, path, ceilingPath] of scenarios) {
    const opts = { url: `${base}${path}`, headers: { authorization: who.auth } };
    await cannon({ ...opts, duration: 1 }); // untimed: no segment pays for a cold JIT
    if (ceiling) await cannon({ url: `${ceiling.url}${ceilingPath}`, duration: 1 });
    results[key] = await profiled(app, `history-${key}`, () =>
      measureAgainstCeiling(name, opts, app.pid, beside(ceilingPath)),
    );
    results[key].name = name;
  }
  return results;
}

const fmt = (v, digits = 2) => (typeof v === 'number' ? v.toFixed(digits) : '–');

/** The history rows and their targets, after the bench's table. Returns the number of FAILs. */
export function reportHistory(history) {
  if (!history) return 0;
  console.log(
    "\nWhole-conversation reads (issue #27) — ×hist = the median of the segments' ratios to the history ceiling " +
      'run just before and after each (one prepared pg query, node:http, JSON); CPU ms/req of the app and of PostgreSQL:',
  );
  let failures = 0;
  for (const r of Object.values(history)) {
    const c = r.dbCeiling;
    console.log(
      `  ${r.name}: ${fmt(r.rps, 0)} req/s, p50 ${fmt(r.p50, 0)} ms, app CPU ${fmt(r.serverCpuMsPerReq, 3)} ms/req, ` +
        `PostgreSQL CPU ${fmt(r.dbCpuMsPerReq, 3)} ms/req, errors ${r.errors}, non-2xx ${r.non2xx}`,
    );
    if (c)
      console.log(
        `    history ceiling beside it: ${fmt(c.rps, 0)} req/s, ceiling CPU ${fmt(c.serverCpuMsPerReq, 3)} ms/req, ` +
          `PostgreSQL CPU ${fmt(c.dbCpuMsPerReq, 3)} ms/req; segments ${r.segments.map((s) => fmt(s.ratio)).join(' ')}`,
      );
    const pass = typeof r.xDb === 'number' && c && r.xDb >= HISTORY_TARGET && r.errors + r.non2xx === 0;
    if (!pass) failures += 1;
    console.log(
      `    ${pass ? 'PASS' : 'FAIL'}  ${r.name} ≥ ${HISTORY_TARGET.toFixed(2)} × history ceiling: ×${fmt(c ? r.xDb : null, 3)}`,
    );
  }
  return failures;
}
