import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import {
  ChatUser,
  createSession,
  messagesUrl,
  newUser,
  Page,
  sendMessage,
  SessionBody,
  SESSIONS,
} from './utils/chat-helpers.js';
import {
  type RunningServer,
  startServer,
  startTestApp,
  TestApp,
  usingPostgresServer,
} from './utils/test-app.js';

/**
 * The API's timestamps are ISO-8601 in UTC whatever the database session's time zone: the server reads
 * PostgreSQL's text of each timestamptz, which is written in that zone. Only a PostgreSQL server lets a
 * test choose the zone of the app's connections (`ALTER DATABASE … SET timezone`).
 */
(usingPostgresServer ? describe : describe.skip)('timestamps when the database session is not in UTC', () => {
  let t: TestApp;
  let server: RunningServer;
  let db: pg.Client;
  let alice: ChatUser;

  beforeAll(async () => {
    t = await startTestApp();
    db = new pg.Client({ connectionString: t.env.DATABASE_URL });
    await db.connect();
    const { rows } = await db.query<{ name: string }>('SELECT current_database() AS name');
    await db.query(`ALTER DATABASE "${rows[0].name}" SET timezone = 'Asia/Kolkata'`); // +05:30
    expect(await t.stop()).toBe(0);
    server = await startServer(t.env); // new connections, in that zone
    alice = await newUser(request(server.baseUrl), 'tz');
  });
  afterAll(async () => {
    await server?.stop();
    await db?.end();
    await t?.close();
  });

  const storedIso = async (table: 'chat_sessions' | 'messages', id: string, column = 'created_at') => {
    const { rows } = await db.query<{ iso: string }>(
      `SELECT to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS iso FROM ${table} WHERE id = $1`,
      [id],
    );
    return rows[0].iso;
  };

  it('sessions and messages show the stored instants in UTC, to the millisecond', async () => {
    const http = request(server.baseUrl);
    const session = await createSession(http, alice.auth, { title: 'zoned' });
    expect(session.created_at).toBe(await storedIso('chat_sessions', session.id));
    const turn = await sendMessage(http, alice.auth, session.id, 'What time is it?');
    const page = await http.get(messagesUrl(session.id)).set('Authorization', alice.auth);
    expect(page.status).toBe(200);
    const messages = (page.body as Page<{ id: string; created_at: string }>).data;
    expect(messages.map((m) => m.id)).toEqual([turn.user_message.id, turn.assistant_message.id]);
    for (const m of messages) expect(m.created_at).toBe(await storedIso('messages', m.id));
    const shown = await http.get(`${SESSIONS}/${session.id}`).set('Authorization', alice.auth);
    expect((shown.body as SessionBody).updated_at).toBe(
      await storedIso('chat_sessions', session.id, 'updated_at'),
    );
  });

  it('the session list pages through by activity with the zone’s cursors, none lost or repeated', async () => {
    const http = request(server.baseUrl);
    const bob = await newUser(http, 'tzlist');
    const created: string[] = [];
    for (let i = 0; i < 5; i += 1) created.push((await createSession(http, bob.auth, { title: `s${i}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      pages += 1;
      expect(pages).toBeLessThanOrEqual(3); // five sessions, two a page: a wrong cursor would loop
      const res = await http
        .get(SESSIONS)
        .set('Authorization', bob.auth)
        .query(cursor ? { limit: 2, cursor } : { limit: 2 });
      expect(res.status).toBe(200);
      const body = res.body as Page<SessionBody>;
      seen.push(...body.data.map((s) => s.id));
      cursor = body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...created].reverse());
  });
});
