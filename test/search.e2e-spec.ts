import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type TestAgent from 'supertest/lib/agent.js';
import {
  type ChatUser,
  createSession,
  expectFieldProblem,
  expectProblem,
  messagesUrl,
  newUser,
  SESSIONS,
  sendMessage,
  STRONG_PASSWORD,
  type Turn,
  UUID,
} from './utils/chat-helpers.js';
import { type RunningServer, startServer, startTestApp, type TestApp } from './utils/test-app.js';
import request from 'supertest';

const SEARCH = '/api/v1/search';

interface Hit {
  session_id: string;
  session_title: string | null;
  message_id: string | null;
  role: 'user' | 'assistant' | null;
  snippet: string;
  created_at: string;
}

interface HitPage {
  data: Hit[];
  next_cursor: string | null;
}

async function search(
  http: TestAgent,
  user: ChatUser,
  query: Record<string, string | number>,
): Promise<HitPage> {
  const res = await http.get(SEARCH).set('Authorization', user.auth).query(query);
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 200 });
  return res.body as HitPage;
}

/** Every hit of `q`, following `next_cursor` page by page. */
async function allHits(http: TestAgent, user: ChatUser, q: string, limit: number): Promise<Hit[]> {
  const hits: Hit[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page += 1) {
    const body = await search(http, user, cursor ? { q, limit, cursor } : { q, limit });
    expect(body.data.length).toBeLessThanOrEqual(limit);
    hits.push(...body.data);
    cursor = body.next_cursor;
    if (!cursor) return hits;
    expect(body.data).toHaveLength(limit);
  }
  throw new Error('too many pages');
}

/** The id of a hit: its message, or for a title hit its session. */
const idOf = (hit: Hit): string => hit.message_id ?? hit.session_id;

/**
 * Full-text search (issue #25): the caller's messages and session titles, websearch syntax, ranked, with
 * marked snippets and keyset pages; on the embedded database and on PostgreSQL alike.
 */
describe('GET /api/v1/search', () => {
  let app: TestApp;
  let http: TestAgent;
  let alice: ChatUser;
  let bob: ChatUser;
  let strong: Turn; // "zephyr" three times
  let weak: Turn; // "zephyr" once
  let olderFox: Turn; // "fox" once, and its answer quotes it
  let newerFox: Turn;
  let zephyrSession: string;

  beforeAll(async () => {
    app = await startTestApp({ LLM_TITLES: 'question' });
    http = app.http;
    [alice, bob] = await Promise.all([newUser(http, 'search_a'), newUser(http, 'search_b')]);
    zephyrSession = (await createSession(http, alice.auth, { title: 'Zephyr planning' })).id;
    const weather = (await createSession(http, alice.auth, { title: 'Weather notes' })).id;
    strong = await sendMessage(http, alice.auth, zephyrSession, 'zephyr zephyr zephyr over the hills');
    weak = await sendMessage(http, alice.auth, weather, 'a gentle zephyr this morning');
    olderFox = await sendMessage(http, alice.auth, weather, 'the quick brown fox jumps over the lazy dog');
    newerFox = await sendMessage(http, alice.auth, weather, 'brown and quick, a clever fox');
    await sendMessage(http, alice.auth, weather, 'alpha particles are heavy');
    await sendMessage(http, alice.auth, weather, 'omega is the last letter');
    // Bob uses Alice's words too, and one of his own.
    const bobs = (await createSession(http, bob.auth, { title: 'Zephyr of Bob' })).id;
    await sendMessage(http, bob.auth, bobs, 'zephyr zephyr zephyr zephyr quasar');
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('ranks by relevance, then the newest first, and returns each hit in its documented shape', async () => {
    const { data, next_cursor } = await search(http, alice, { q: 'zephyr' });
    expect(next_cursor).toBeNull();
    // Three times in the strong turn's question and in its answer (which quotes it), once elsewhere.
    expect(data.slice(0, 2).map(idOf)).toEqual([strong.assistant_message.id, strong.user_message.id]);
    expect(data.map(idOf).sort()).toEqual(
      [
        strong.user_message.id,
        strong.assistant_message.id,
        weak.user_message.id,
        weak.assistant_message.id,
        zephyrSession, // the title "Zephyr planning"
      ].sort(),
    );
    for (const hit of data) {
      expect(Object.keys(hit).sort()).toEqual(
        ['created_at', 'message_id', 'role', 'session_id', 'session_title', 'snippet'].sort(),
      );
      expect(hit.session_id).toMatch(UUID);
      expect(hit.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(hit.snippet).toMatch(/⟦zephyr⟧/i);
    }
    const question = data.find((hit) => hit.message_id === strong.user_message.id) as Hit;
    expect(question).toEqual({
      session_id: zephyrSession,
      session_title: 'Zephyr planning',
      message_id: strong.user_message.id,
      role: 'user',
      snippet: '⟦zephyr⟧ ⟦zephyr⟧ ⟦zephyr⟧ over the hills',
      created_at: strong.user_message.created_at,
    });
    expect(data.find((hit) => hit.message_id === strong.assistant_message.id)?.role).toBe('assistant');
  });

  it('orders equal ranks the newest first', async () => {
    // One "fox" in each of four messages. A question and its placeholder answer are inserted together and
    // may share a timestamp, so only the order between the two turns is certain.
    const { data } = await search(http, alice, { q: 'fox' });
    const turnIds = (turn: Turn) => [turn.user_message.id, turn.assistant_message.id].sort();
    expect(data.slice(0, 2).map(idOf).sort()).toEqual(turnIds(newerFox));
    expect(data.slice(2).map(idOf).sort()).toEqual(turnIds(olderFox));
    const times = data.map((hit) => hit.created_at);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('returns a matching title as a hit without a message: message_id and role null, the title marked', async () => {
    const { data } = await search(http, alice, { q: 'planning' });
    expect(data).toEqual([
      {
        session_id: zephyrSession,
        session_title: 'Zephyr planning',
        message_id: null,
        role: null,
        snippet: 'Zephyr ⟦planning⟧',
        created_at: expect.stringMatching(/Z$/),
      },
    ]);
  });

  it('matches a quoted phrase only in that order, leaves out -words, and takes "or"', async () => {
    const phrase = await search(http, alice, { q: '"quick brown"' });
    expect(phrase.data.map((hit) => hit.snippet)).not.toHaveLength(0);
    for (const hit of phrase.data) expect(hit.snippet).toContain('⟦quick⟧ ⟦brown⟧');
    const words = await search(http, alice, { q: 'quick brown' }); // both words, any order
    expect(words.data.length).toBeGreaterThan(phrase.data.length);
    expect(words.data.some((hit) => hit.snippet.includes('⟦brown⟧ and ⟦quick⟧'))).toBe(true);

    const foxes = await search(http, alice, { q: 'fox' });
    const notLazy = await search(http, alice, { q: 'fox -lazy' });
    expect(notLazy.data.length).toBeGreaterThan(0);
    expect(notLazy.data.length).toBeLessThan(foxes.data.length);
    for (const hit of notLazy.data) expect(hit.snippet).not.toMatch(/lazy/);

    const either = await search(http, alice, { q: 'alpha or omega' });
    const snippets = either.data.map((hit) => hit.snippet).join('\n');
    expect(snippets).toContain('⟦alpha⟧');
    expect(snippets).toContain('⟦omega⟧');
    const both = await search(http, alice, { q: 'alpha omega' });
    expect(both.data).toEqual([]);
  });

  it("never shows another user's hits", async () => {
    const mine = await allHits(http, alice, 'zephyr', 100);
    const theirs = await allHits(http, bob, 'zephyr', 100);
    expect(theirs.map((hit) => hit.session_title)).toEqual([
      'Zephyr of Bob',
      'Zephyr of Bob',
      'Zephyr of Bob',
    ]);
    const bobSessions = new Set(theirs.map((hit) => hit.session_id));
    expect(mine.filter((hit) => bobSessions.has(hit.session_id))).toEqual([]);
    expect((await search(http, alice, { q: 'quasar' })).data).toEqual([]);
    expect((await search(http, bob, { q: 'fox or alpha or planning' })).data).toEqual([]);
  });

  it('pages through every hit once, in rank order, whatever the page size', async () => {
    const paging = await newUser(http, 'search_pages');
    const sessions = await Promise.all(
      ['Nimbus one', 'Nimbus two'].map(
        async (title) => (await createSession(http, paging.auth, { title })).id,
      ),
    );
    for (let i = 0; i < 12; i += 1) {
      const repeat = 1 + (i % 3); // three ranks, many ties
      await sendMessage(http, paging.auth, sessions[i % 2], `${'nimbus '.repeat(repeat)}cloud number ${i}`);
    }
    const expected = 2 + 12 * 2; // two titles, twelve questions and their answers
    const whole = await allHits(http, paging, 'nimbus', 100);
    expect(whole).toHaveLength(expected);
    for (const limit of [1, 5, 7]) {
      const paged = await allHits(http, paging, 'nimbus', limit);
      expect(paged.map(idOf)).toEqual(whole.map(idOf));
    }
    expect(new Set(whole.map(idOf)).size).toBe(expected);
    // Best first: the three-times hits lead, and within a rank the newer come first.
    const counts = whole.map((hit) => hit.snippet.split('⟦').length - 1);
    expect(counts.slice(0, 8).every((n) => n === 3)).toBe(true);
    const threes = whole.slice(0, 8).map((hit) => hit.created_at);
    expect([...threes].sort().reverse()).toEqual(threes);
  });

  it('finds nothing of a deleted session', async () => {
    const session = (await createSession(http, alice.auth, { title: 'Doomed' })).id;
    await sendMessage(http, alice.auth, session, 'xylophone lessons');
    expect((await search(http, alice, { q: 'xylophone' })).data).toHaveLength(2);
    expect((await search(http, alice, { q: 'doomed' })).data).toHaveLength(1);
    expect((await http.delete(`${SESSIONS}/${session}`).set('Authorization', alice.auth)).status).toBe(204);
    expect((await search(http, alice, { q: 'xylophone or doomed' })).data).toEqual([]);
  });

  it('finds branches too: an edited question and both versions', async () => {
    const session = (await createSession(http, alice.auth, { title: 'Branching' })).id;
    const first = await sendMessage(http, alice.auth, session, 'walrus facts please');
    const edit = await http
      .post(`${messagesUrl(session)}/${first.user_message.id}/edit`)
      .set('Authorization', alice.auth)
      .send({ content: 'walrus habitats please' });
    expect(edit.status).toBe(201);
    const ids = (await search(http, alice, { q: 'walrus' })).data.map(idOf);
    expect(ids).toEqual(expect.arrayContaining([first.user_message.id, edit.body.user_message.id]));
    expect(ids).toHaveLength(4);
  });

  it('finds nothing, with a 200, for a query without words; tsquery syntax in q is only text', async () => {
    expect(await search(http, alice, { q: '!!! ,,, "' })).toEqual({ data: [], next_cursor: null });
    for (const q of ['zeph:*', 'zephyr & !fox', '(zephyr', "'", '\\', '""', '-', 'or', '-or -and', '<->'])
      await search(http, alice, { q }); // 200, whatever it finds
    expect((await search(http, alice, { q: 'zeph:*' })).data).toEqual([]); // no prefix matching
    expect((await search(http, alice, { q: '-zephyr' })).data.length).toBeGreaterThan(0); // all but those
  });

  it('answers 400 naming the field for a missing, blank or over-long q, a bad limit or cursor; 401 without a caller', async () => {
    const bad = (query: string) => http.get(`${SEARCH}${query}`).set('Authorization', alice.auth);
    expectFieldProblem(await bad(''), 'q');
    expectFieldProblem(await bad('?q='), 'q');
    expectFieldProblem(await bad('?q=%20%20'), 'q');
    expectFieldProblem(await bad(`?q=${'a'.repeat(501)}`), 'q');
    expect((await bad(`?q=${'a'.repeat(500)}`)).status).toBe(200);
    expectFieldProblem(await bad('?q=a&q=b'), 'q');
    expectFieldProblem(await bad('?q=zephyr&limit=0'), 'limit');
    expectFieldProblem(await bad('?q=zephyr&limit=101'), 'limit');
    expectFieldProblem(await bad('?q=zephyr&cursor=garbage'), 'cursor');
    const forged = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const at = '2026-12-01T10:00:00.000000Z';
    const id = '00000000-0000-4000-8000-000000000000';
    for (const key of [
      ['0.5', at],
      ['1e999', at, id],
      ['1e-60', at, id],
      ['NaN', at, id],
      [0.5, at, id],
      ['0.5', '2026-02-30T10:00:00Z', id],
      ['0.5', at, 'not-a-uuid'],
    ])
      expectFieldProblem(await bad(`?q=zephyr&cursor=${forged(key)}`), 'cursor');
    expect((await bad(`?q=zephyr&cursor=${forged(['0.5', at, id])}`)).status).toBe(200);
    expectFieldProblem(await bad('?q=zephyr&unknown=1'), 'unknown');
    expectProblem(await http.get(`${SEARCH}?q=zephyr`), 401);
  });
});

/**
 * SEARCH_LANGUAGE decides how words are compared; the columns are built in it, and rebuilt when a server
 * starts with another one on the same database.
 */
describe('SEARCH_LANGUAGE', () => {
  let app: TestApp;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    app = await startTestApp({ SEARCH_LANGUAGE: 'english', LLM_TITLES: 'question' });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await app?.close();
  });

  it('stems in english; back on simple the columns are rebuilt and words compare exactly', async () => {
    const user = await newUser(app.http, 'search_lang');
    const session = (await createSession(app.http, user.auth, { title: 'Athletics' })).id;
    await sendMessage(app.http, user.auth, session, 'She runs every morning, running far');
    const english = await search(app.http, user, { q: 'run' });
    expect(english.data.map((hit) => hit.role)).toEqual(['assistant', 'user']);
    expect(english.data[1].snippet).toBe('She ⟦runs⟧ every morning, ⟦running⟧ far');

    await app.stop();
    server = await startServer({ ...app.env, SEARCH_LANGUAGE: 'simple', LOG_LEVEL: 'info' });
    expect(server.output.join('')).toContain('SEARCH_LANGUAGE is simple: rebuilding the search columns');
    const again = request(server.baseUrl);
    const login = await again
      .post('/api/v1/auth/login')
      .send({ username: user.username, password: STRONG_PASSWORD });
    const relogged = { ...user, auth: `Bearer ${login.body.access_token as string}` };
    expect((await search(again, relogged, { q: 'run' })).data).toEqual([]);
    expect((await search(again, relogged, { q: 'running' })).data).toHaveLength(2);
  });

  it('refuses to start on a language the database does not have, or a malformed name', async () => {
    await server?.stop();
    server = undefined;
    await expect(startServer({ ...app.env, SEARCH_LANGUAGE: 'klingon' })).rejects.toThrow(
      /SEARCH_LANGUAGE: this database has no text search configuration \\*"klingon/,
    );
    await expect(startServer({ ...app.env, SEARCH_LANGUAGE: "english'; --" })).rejects.toThrow(
      /SEARCH_LANGUAGE must name a text search configuration/,
    );
  });
});
