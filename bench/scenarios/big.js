// Scenario 4: posting into 3,000-message sessions with 20 branches (one per connection, BENCH_BIG_SESSIONS)
// against fresh sessions (one fresh session per request, as many requests), in rounds.
import { newStats } from '../openai-fake.js';
import { CFG, log, range } from '../lib/config.js';
import { QUESTION, api, newSession, postsInto } from '../lib/api.js';
import { mapLimit, meanOfRuns, measure, median } from '../lib/load.js';
import { profiled } from '../lib/processes.js';

/**
 * Builds a session of `messages` messages (every version counted, as `message_count` does) with `branches`
 * branches, through the API as a user who edits and regenerates would. At `branches` points spread evenly
 * over the conversation the user goes back 1 to 10 turns (in turn) and edits that question or regenerates
 * that answer (alternately), then talks on from the new version; the versions left behind keep their
 * tails. Each branch goes back fewer turns than were posted since the one before (its fork is new), and
 * after the last there are more turns than any tail, so the active path, where the measured turns go, is
 * the deepest. Turns are posted one after another: each one's parent is the leaf the one before left.
 * Resolves to the active path's length.
 */
async function buildBranchedSession(base, token, sessionId, messages, branches) {
  const edits = Math.ceil(branches / 2);
  const regenerations = branches - edits;
  const turns = Math.floor((messages - 2 * edits - regenerations) / 2);
  const spacing = Math.floor(turns / (branches + 1)); // turns between two branches, and after the last
  if (spacing < 2) throw new Error(`${messages} messages are too few for ${branches} branches`);
  const url = `/api/v1/chat-sessions/${sessionId}/messages`;
  const path = []; // the active path's ids, oldest first: question, answer, question, answer …
  let posted = 0;
  const postUntil = async (count) => {
    for (; posted < count; posted += 1) {
      const turn = await api(base, 'POST', url, { token, body: { content: `${QUESTION}${posted}.` } });
      path.push(turn.user_message.id, turn.assistant_message.id);
    }
  };
  for (let branch = 1; branch <= branches; branch += 1) {
    await postUntil(Math.round((turns * branch) / (branches + 1)));
    // turns back from the leaf (1: the latest question or answer), fewer than since the last branch
    const back = Math.min(1 + ((branch - 1) % 10), spacing - 1);
    const answerAt = path.length - 1 - 2 * (back - 1);
    if (branch % 2 === 1) {
      const questionAt = answerAt - 1;
      const turn = await api(base, 'POST', `${url}/${path[questionAt]}/edit`, {
        token,
        body: { content: `${QUESTION}${posted}, asked again (branch ${branch}).` },
      });
      path.splice(questionAt, Infinity, turn.user_message.id, turn.assistant_message.id);
    } else {
      const turn = await api(base, 'POST', `${url}/${path[answerAt]}/regenerate`, { token, body: {} });
      path.splice(answerAt, Infinity, turn.assistant_message.id);
    }
  }
  await postUntil(turns);
  return path.length;
}

/**
 * Reads a session's active path back through the API (pages of 100) and its message count: what the
 * big sessions were built to be. Returns {pathLength, forks (messages on the path with siblings), messageCount}.
 */
async function readBackSession(base, token, sessionId) {
  const session = await api(base, 'GET', `/api/v1/chat-sessions/${sessionId}`, { token });
  let pathLength = 0;
  let forks = 0;
  let cursor = null;
  do {
    const query = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await api(base, 'GET', `/api/v1/chat-sessions/${sessionId}/messages?${query}`, { token });
    pathLength += page.data.length;
    forks += page.data.filter((m) => m.sibling_count > 1).length;
    cursor = page.next_cursor;
  } while (cursor);
  return { pathLength, forks, messageCount: session.message_count };
}

/** Builds the big sessions (`ctx.sessions.big`, `ctx.bigTree`) and the fresh ones (`ctx.sessions.fresh`). */
export async function seedBigSessions(ctx) {
  const { base } = ctx;
  const { token } = ctx.users.post;
  // One long session per connection, as the fresh side has one session per request: 16 posts at once
  // into one session would measure waits for its row lock, not the length of its history (and answer
  // its same leaf, as siblings).
  const bigSessions = await mapLimit(range(CFG.bigSessions), 8, () => newSession(base, token));
  // Through the API, as a user would build them: the sessions are built at once, each one turn at a time.
  const pathLengths = await Promise.all(
    bigSessions.map((id) => buildBranchedSession(base, token, id, CFG.bigMessages, CFG.bigBranches)),
  );
  const built = await readBackSession(base, token, bigSessions[0]);
  log(
    `big sessions: ${built.messageCount} messages, ${CFG.bigBranches} branches; active path ${built.pathLength} ` +
      `messages, ${built.forks} of them with siblings`,
  );
  if (built.pathLength !== pathLengths[0] || built.forks !== CFG.bigBranches)
    throw new Error(
      `a big session reads back as ${JSON.stringify(built)}, built with a path of ${pathLengths[0]} and ${CFG.bigBranches} branches`,
    );
  ctx.bigTree = { ...built, branches: CFG.bigBranches };
  ctx.sessions.big = bigSessions;
  ctx.sessions.fresh = await mapLimit(range(CFG.bigRequests * CFG.bigRounds), 8, () =>
    newSession(base, token),
  );
}

export async function runBig(ctx, results) {
  const { app, fake } = ctx;
  const bigSessions = ctx.sessions.big;
  // Several rounds, the side measured first alternating, so that one noisy second or a drift of the
  // machine does not decide the verdict: the ratios are the median of the rounds'.
  const freshPosts = postsInto(ctx, ctx.sessions.fresh, 'fresh');
  const bigPosts = postsInto(ctx, bigSessions, 'big');
  const measureFresh = (round) =>
    profiled(app, `big-fresh-${round}`, () =>
      measure(
        `POST into fresh sessions (${CFG.bigRequests} requests, round ${round})`,
        { ...freshPosts, amount: CFG.bigRequests },
        app.pid,
      ),
    );
  const measureBig = (round) =>
    profiled(app, `big-${CFG.bigMessages}-${round}`, () =>
      measure(
        `POST into ${bigSessions.length} ${CFG.bigMessages}-message sessions (${CFG.bigRequests} requests, round ${round})`,
        { ...bigPosts, amount: CFG.bigRequests },
        app.pid,
      ),
    );
  const rounds = [];
  let freshContext = newStats();
  let bigContext = newStats();
  for (let round = 1; round <= CFG.bigRounds; round += 1) {
    const side = async (measureSide) => {
      fake.resetStats();
      const result = await measureSide(round);
      return { result, context: fake.resetStats() };
    };
    const [fresh, big] =
      round % 2 === 1
        ? [await side(measureFresh), await side(measureBig)]
        : [await side(measureBig), await side(measureFresh)].reverse();
    freshContext = mergeContextStats(freshContext, fresh.context);
    bigContext = mergeContextStats(bigContext, big.context);
    rounds.push({
      fresh: fresh.result,
      big: big.result,
      p50Ratio: big.result.p50 / fresh.result.p50,
      meanRatio: big.result.latencyMean / fresh.result.latencyMean,
    });
  }
  results.scenarios.bigFresh = { ...meanOfRuns(rounds.map((r) => r.fresh)), context: freshContext };
  results.scenarios.big = { ...meanOfRuns(rounds.map((r) => r.big)), context: bigContext };
  results.bigSession = {
    rounds: rounds.map(({ p50Ratio, meanRatio }) => ({ p50Ratio, meanRatio })),
    p50Ratio: median(rounds.map((r) => r.p50Ratio)),
    meanRatio: median(rounds.map((r) => r.meanRatio)),
    maxMessages: bigContext.maxMessages,
    maxChars: bigContext.maxChars,
    boundChars: CFG.contextTokens * 4,
    tree: ctx.bigTree,
  };
}

/** The fake's counters of two runs as one. */
function mergeContextStats(a, b) {
  return {
    requests: a.requests + b.requests,
    streamed: a.streamed + b.streamed,
    maxMessages: Math.max(a.maxMessages, b.maxMessages),
    maxChars: Math.max(a.maxChars, b.maxChars),
    totalMessages: a.totalMessages + b.totalMessages,
    totalChars: a.totalChars + b.totalChars,
  };
}
