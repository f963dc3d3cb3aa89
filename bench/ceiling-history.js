/* global console, process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The "history ceiling": a bare node:http server that reads one whole conversation with one prepared `pg`
// query and returns it as JSON, the least the two seeds' whole-history reads can do:
// - GET /messages: every message of the session, oldest first, as seed 1's chats/<id> shapes them;
// - GET /exchanges: each question with its answer (a self-join on the parent), as seed 2's messages.
// The parent sends the conversation over IPC ({history: {sessionId, messages: [{role, content}]}}: the
// very texts it stored through the app), answered {loaded: true} once stored. PostgreSQL only
// (CEILING_DATABASE_URL: the db ceiling's database; tables of its own). Forked by bench/scenario-history.js.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';
import { fail, sendJson, serveForParent } from './ceiling-serve.js';

const MESSAGES = {
  name: 'history_messages',
  text: `SELECT role, content, created_at FROM ceiling_history WHERE session_id = $1 ORDER BY depth`,
};
const EXCHANGES = {
  name: 'history_exchanges',
  text: `SELECT q.id, q.session_id, q.content AS prompt, COALESCE(a.content, '') AS response, q.created_at
           FROM ceiling_history q LEFT JOIN ceiling_history a ON a.parent_id = q.id
          WHERE q.session_id = $1 AND q.role = 'user' ORDER BY q.depth`,
};

async function load(pool, { sessionId, messages }) {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS ceiling_history (
      id uuid PRIMARY KEY,
      session_id uuid NOT NULL,
      parent_id uuid,
      depth integer NOT NULL,
      role varchar(16) NOT NULL,
      content text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  await pool.query(
    'CREATE INDEX IF NOT EXISTS ceiling_history_path_idx ON ceiling_history (session_id, depth)',
  );
  await pool.query('CREATE INDEX IF NOT EXISTS ceiling_history_parent_idx ON ceiling_history (parent_id)');
  let parent = null;
  for (const [depth, m] of messages.entries()) {
    const id = randomUUID();
    await pool.query(
      `INSERT INTO ceiling_history (id, session_id, parent_id, depth, role, content) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, sessionId, parent, depth, m.role, m.content],
    );
    parent = id;
  }
  await pool.query('ANALYZE ceiling_history');
}

async function main() {
  const pool = new pg.Pool({
    connectionString: process.env.CEILING_DATABASE_URL,
    max: Number(process.env.CEILING_POOL_SIZE ?? 10),
    idleTimeoutMillis: 0,
  });
  let sessionId = null;
  process.on('message', (m) => {
    if (!m?.history) return;
    load(pool, m.history).then(
      () => {
        sessionId = m.history.sessionId;
        process.send?.({ loaded: true });
      },
      (error) => process.send?.({ loaded: false, error: String(error) }),
    );
  });
  const server = createServer((req, res) => {
    req.resume();
    if (req.url === '/exchanges') {
      pool.query({ ...EXCHANGES, values: [sessionId] }).then((r) => sendJson(res, 200, r.rows), fail(res));
      return;
    }
    pool.query({ ...MESSAGES, values: [sessionId] }).then(
      (r) =>
        sendJson(res, 200, {
          session_id: sessionId,
          created_at: r.rows[0]?.created_at ?? null,
          messages: r.rows.map((row) => ({
            role: row.role,
            content: row.content,
            timestamp: row.created_at,
          })),
        }),
      fail(res),
    );
  });
  serveForParent(server, () => pool.end());
}

main().catch((error) => {
  console.error('history ceiling failed:', error);
  process.exit(1);
});
