/* global performance -- a Node.js global (this repo's ESLint config declares none for plain JS) */
// The search scenario's data (bench/run.js, BENCH_ONLY=…,search): SEARCH_USERS users with SEARCH_MESSAGES
// messages in all, written with bulk SQL (unnest of arrays, 10,000 rows a statement) rather than through the
// API, which would take an hour of chat turns. Words are drawn from a synthetic vocabulary with a Zipf
// distribution, as in natural language: a few words are everywhere, most are rare; the queries take words of
// a few frequencies, so that a search finds from a handful to a few dozen hits per user.
import { randomUUID } from 'node:crypto';

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'ta',
  'vi',
  'zo',
  'pe',
  'shi',
  'gu',
  'da',
  'fen',
  'bor',
  'tel',
];
const VOCABULARY_SIZE = 3000;
const SESSIONS_PER_USER = 10;
const BATCH = 10_000;

/** A small deterministic PRNG (mulberry32): the same data every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** VOCABULARY_SIZE distinct words of two to four syllables; the word of rank r is `VOCABULARY[r - 1]`. */
const VOCABULARY = (() => {
  const words = new Set();
  const random = prng(7);
  while (words.size < VOCABULARY_SIZE) {
    const syllables = 2 + Math.floor(random() * 3);
    let word = '';
    for (let i = 0; i < syllables; i += 1) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.add(word);
  }
  return [...words];
})();

/** Cumulative Zipf (s = 1) weights over the vocabulary, for drawing a word by rank. */
const CUMULATIVE = (() => {
  const out = new Float64Array(VOCABULARY_SIZE);
  let sum = 0;
  for (let r = 1; r <= VOCABULARY_SIZE; r += 1) out[r - 1] = sum += 1 / r;
  for (let i = 0; i < out.length; i += 1) out[i] /= sum;
  return out;
})();

function drawWord(random) {
  const x = random();
  let [lo, hi] = [0, CUMULATIVE.length - 1];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CUMULATIVE[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo];
}

const sentence = (random, min, max) =>
  Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, () => drawWord(random)).join(' ');

/** The word of a Zipf rank (1: the commonest). */
export const wordOfRank = (rank) => VOCABULARY[rank - 1];

/**
 * The queries the scenario rotates through: single words of a few frequencies (in about 17 %, 7 % and 2 % of
 * messages), `or`, an exclusion and a quoted phrase.
 */
export const SEARCH_QUERIES = [
  wordOfRank(20),
  wordOfRank(50),
  wordOfRank(200),
  `${wordOfRank(100)} or ${wordOfRank(150)}`,
  `${wordOfRank(30)} -${wordOfRank(40)}`,
  `"${wordOfRank(3)} ${wordOfRank(4)}"`,
];

/**
 * Seeds `userCount` users (the given `apiUsers`, registered through the API, first; the rest inserted here,
 * unable to log in) with `messageCount` messages in all: SESSIONS_PER_USER sessions each, every session one
 * path of alternating questions (10–20 words) and answers (30–60 words), over the last 90 days. `client`: a
 * connected `pg` client on the app's database. Returns {users, sessions, messages, ms}.
 */
export async function seedSearchData(client, { apiUsers, userCount, messageCount }) {
  const started = performance.now();
  const random = prng(42);
  const filler = userCount - apiUsers.length;
  const { rows: inserted } = await client.query(
    `INSERT INTO users (username, password_hash)
     SELECT 'bench_search_' || md5(random()::text) || '_' || i, 'not a hash: no login'
       FROM generate_series(1, $1) i RETURNING id`,
    [filler],
  );
  const userIds = [...apiUsers, ...inserted.map((r) => r.id)];
  const perSession = Math.max(2, Math.round(messageCount / userIds.length / SESSIONS_PER_USER));
  const now = Date.now();
  const dayMs = 86_400_000;

  const sessions = { id: [], user: [], title: [], count: [], leaf: [], created: [], updated: [] };
  let batch = { id: [], session: [], role: [], content: [], parent: [], depth: [], created: [] };
  const flush = async () => {
    if (batch.id.length === 0) return;
    await client.query(
      `INSERT INTO messages (id, session_id, role, content, status, parent_id, depth, provider, model, created_at)
       SELECT id, session_id, role, content, 'complete', parent_id, depth, 'openai', 'bench', created_at
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::int[], $7::timestamptz[])
           AS m(id, session_id, role, content, parent_id, depth, created_at)`,
      [batch.id, batch.session, batch.role, batch.content, batch.parent, batch.depth, batch.created],
    );
    batch = { id: [], session: [], role: [], content: [], parent: [], depth: [], created: [] };
  };

  await client.query('BEGIN');
  // Sessions first (the messages' foreign key), with their leaf set after the messages (a deferred key).
  const sessionIds = [];
  for (const userId of userIds)
    for (let s = 0; s < SESSIONS_PER_USER; s += 1) {
      const id = randomUUID();
      const created = now - Math.floor(random() * 90 * dayMs);
      sessionIds.push(id);
      sessions.id.push(id);
      sessions.user.push(userId);
      sessions.title.push(sentence(random, 2, 5));
      sessions.count.push(perSession);
      sessions.created.push(new Date(created).toISOString());
      sessions.updated.push(new Date(created + perSession * 60_000).toISOString());
    }
  for (let i = 0; i < sessions.id.length; i += BATCH)
    await client.query(
      `INSERT INTO chat_sessions (id, user_id, title, message_count, created_at, updated_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[])`,
      [
        sessions.id.slice(i, i + BATCH),
        sessions.user.slice(i, i + BATCH),
        sessions.title.slice(i, i + BATCH),
        sessions.count.slice(i, i + BATCH),
        sessions.created.slice(i, i + BATCH),
        sessions.updated.slice(i, i + BATCH),
      ],
    );
  let messages = 0;
  const leaves = [];
  for (let s = 0; s < sessionIds.length; s += 1) {
    let parent = null;
    const created = Date.parse(sessions.created[s]);
    for (let depth = 0; depth < perSession; depth += 1) {
      const id = randomUUID();
      const question = depth % 2 === 0;
      batch.id.push(id);
      batch.session.push(sessionIds[s]);
      batch.role.push(question ? 'user' : 'assistant');
      batch.content.push(question ? sentence(random, 10, 20) : sentence(random, 30, 60));
      batch.parent.push(parent);
      batch.depth.push(depth);
      batch.created.push(new Date(created + depth * 60_000).toISOString());
      parent = id;
      messages += 1;
      if (batch.id.length >= BATCH) await flush();
    }
    leaves.push(parent);
  }
  await flush();
  for (let i = 0; i < sessionIds.length; i += BATCH)
    await client.query(
      `UPDATE chat_sessions c SET active_leaf_id = l.leaf
         FROM unnest($1::uuid[], $2::uuid[]) AS l(id, leaf) WHERE c.id = l.id`,
      [sessionIds.slice(i, i + BATCH), leaves.slice(i, i + BATCH)],
    );
  await client.query('COMMIT');
  await client.query('ANALYZE users, chat_sessions, messages');
  return { users: userIds.length, sessions: sessionIds.length, messages, ms: performance.now() - started };
}
