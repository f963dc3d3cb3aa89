// Scenario 10: the seed contracts' session lists as their clients call them (issue 28, item 7), beside the
// native list of the same user (50 sessions), in interleaved rounds so that the machine's drift cannot
// move a ratio: each round runs the four requests one after the other (in reverse every other round), and
// a ratio is the median of the rounds' ratios of req/s.

/** Token auth costs at most 10 % over Bearer; chats-history makes ≥ 0.8 of the native list. */
export const SEED_LIST_TARGETS = { tokenVsBearer: 0.9, historyVsList: 0.8 };

const ROUTES = [
  ['list', 'GET /api/v1/chat-sessions (native, Bearer)', '/api/v1/chat-sessions', 'bearer'],
  [
    'historyBearer',
    'GET /api/v1/chat/chats-history/ (seed 1, Bearer)',
    '/api/v1/chat/chats-history/',
    'bearer',
  ],
  ['historyToken', 'GET /api/v1/chat/chats-history/ (seed 1, Token)', '/api/v1/chat/chats-history/', 'token'],
  ['chatsessions', 'GET /chatsessions/ (seed 2, Bearer)', '/chatsessions/', 'bearer'],
];

/**
 * Logs the list user in through the quick-chat seed (a personal `Token`) and measures the rounds.
 * `deps`: the bench's `api`, `cannon`, `measure` (one autocannon run with CPU per request), `median` and
 * `meanOfRuns` (runs as one row).
 */
export async function measureSeedLists(
  { base, username, password, accessToken, pid, rounds, duration },
  { api, cannon, measure, median, meanOfRuns },
) {
  const { token } = await api(base, 'POST', '/api/v1/accounts/login/', { body: { username, password } });
  const headers = {
    bearer: { authorization: `Bearer ${accessToken}` },
    token: { authorization: `Token ${token}` },
  };
  const optsOf = ([, , path, scheme]) => ({ url: `${base}${path}`, headers: headers[scheme] });
  for (const route of ROUTES) await cannon({ ...optsOf(route), duration: 1 }); // no cold JIT in round 1
  const runs = Object.fromEntries(ROUTES.map(([key]) => [key, []]));
  // the order turns round every other round, so that no route always follows the same one
  for (let round = 1; round <= rounds; round += 1)
    for (const route of round % 2 ? ROUTES : [...ROUTES].reverse())
      runs[route[0]].push(
        await measure(`${route[1]} (round ${round}/${rounds})`, { ...optsOf(route), duration }, pid),
      );
  const ratio = (a, b) => median(runs[a].map((run, i) => run.rps / runs[b][i].rps));
  return {
    routes: Object.fromEntries(ROUTES.map(([key, label]) => [key, { label, ...meanOfRuns(runs[key]) }])),
    tokenVsBearer: ratio('historyToken', 'historyBearer'),
    historyTokenVsList: ratio('historyToken', 'list'),
    historyBearerVsList: ratio('historyBearer', 'list'),
    chatsessionsVsList: ratio('chatsessions', 'list'),
  };
}

/** The lines printed after the table, and the targets as [name, value, limit, pass]. */
export function seedListsReport(r) {
  const fmt = (x, d = 0) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
  const lines = Object.values(r.routes).map(
    (x) =>
      `10. ${x.label}: ${fmt(x.rps)} req/s, p50 ${fmt(x.p50, 1)} ms, p99 ${fmt(x.p99, 1)} ms, ` +
      `app CPU ${fmt(x.serverCpuMsPerReq, 3)} ms/req, db CPU ${fmt(x.dbCpuMsPerReq, 3)} ms/req, errors ${x.errors + x.non2xx}`,
  );
  lines.push(
    `10. ratios (median of the rounds): Token/Bearer ${fmt(r.tokenVsBearer, 3)}; chats-history/native list ` +
      `${fmt(r.historyTokenVsList, 3)} (Token), ${fmt(r.historyBearerVsList, 3)} (Bearer); ` +
      `/chatsessions//native list ${fmt(r.chatsessionsVsList, 3)}`,
  );
  const { tokenVsBearer, historyVsList } = SEED_LIST_TARGETS;
  const errors = Object.values(r.routes).reduce((n, x) => n + x.errors + x.non2xx, 0);
  return {
    lines,
    targets: [
      [
        `chats-history: Token ≥ ${tokenVsBearer} × Bearer`,
        r.tokenVsBearer,
        tokenVsBearer,
        r.tokenVsBearer >= tokenVsBearer,
      ],
      [
        `chats-history (Token) ≥ ${historyVsList} × native list`,
        r.historyTokenVsList,
        historyVsList,
        r.historyTokenVsList >= historyVsList,
      ],
      ['no errors / non-2xx in scenario 10', errors, 0, errors === 0],
    ],
  };
}
