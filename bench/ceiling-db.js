/* global Buffer, console, process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The "db ceiling": a bare node:http server running one prepared `pg` query that returns 20 rows per
// request, as JSON. `POST /turn/<session>` is the "turn ceiling": the least a chat turn does, with nothing
// of the app's (no auth, validation or context building): store the question (one single-row INSERT),
// send a fixed context through the OpenAI SDK to the fake (FAKE_URL; the shape the parent sets over IPC),
// store the answer (another INSERT), answer JSON. The database: bench/ceiling-pool.js (PostgreSQL, or a
// PGlite of its own). Forked by bench/run.js: reports its port over IPC, exits when the parent disconnects.
import { createServer } from 'node:http';
import OpenAI from 'openai';
import { openCeilingPool } from './ceiling-pool.js';
import { fail, sendJson, serveForParent } from './ceiling-serve.js';

const USER_ID = '11111111-1111-4111-8111-111111111111';
const QUERY = {
  name: 'ceiling_page',
  text: `SELECT id, title, system_prompt, provider, model, message_count, created_at, updated_at
           FROM ceiling_sessions WHERE user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 20`,
  values: [USER_ID],
};

const STORE_TURN = {
  name: 'ceiling_turn',
  text: `INSERT INTO ceiling_messages (session_id, role, content) VALUES ($1, $2, $3)
         RETURNING id, role, content, created_at`,
};

/**
 * The earlier turns every turn sends: `messages` messages (user and assistant in turn) of `chars`
 * characters in all, as the parent measured the app's contexts to be on average.
 */
let context = [];
function setContext({ messages, chars }) {
  const count = Math.max(0, Math.round(messages) - (Math.round(messages) % 2));
  const each = count ? Math.max(1, Math.round(chars / count)) : 0;
  context = Array.from({ length: count }, (_, i) => ({
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: `${i} `.padEnd(each, 'x'),
  }));
}

async function turn(pool, openai, sessionId, body) {
  const { content } = JSON.parse(body);
  const question = (await pool.query({ ...STORE_TURN, values: [sessionId, 'user', content] })).rows[0];
  const completion = await openai.chat.completions.create({
    model: 'gpt-4o',
    messages: [...context, { role: 'user', content }],
  });
  const text = completion.choices[0]?.message.content ?? '';
  const answer = (await pool.query({ ...STORE_TURN, values: [sessionId, 'assistant', text] })).rows[0];
  return { question, answer };
}

async function main() {
  const { pool, close } = await openCeilingPool();
  await pool.query(`
    CREATE TABLE IF NOT EXISTS ceiling_sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL,
      title varchar(200),
      system_prompt text,
      provider varchar(16),
      model varchar(100),
      message_count integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
  await pool.query(
    `CREATE INDEX IF NOT EXISTS ceiling_sessions_user_activity_idx ON ceiling_sessions (user_id, updated_at DESC, id DESC)`,
  );
  await pool.query(
    `INSERT INTO ceiling_sessions (user_id, title, message_count, updated_at)
     SELECT $1, 'Session number ' || g, g, now() - make_interval(secs => g)
       FROM generate_series(1, 50) g`,
    [USER_ID],
  );
  await pool.query('ANALYZE ceiling_sessions');
  await pool.query(`
    CREATE TABLE IF NOT EXISTS ceiling_messages (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      session_id integer NOT NULL,
      role varchar(16) NOT NULL,
      content text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  await pool.query(
    `CREATE INDEX IF NOT EXISTS ceiling_messages_session_idx ON ceiling_messages (session_id, created_at)`,
  );
  // on the SDK's own fetch (Node's), as the app's provider is
  const openai = new OpenAI({
    apiKey: 'not-needed',
    baseURL: `${process.env.FAKE_URL}/v1`,
    maxRetries: 0,
  });
  process.on('message', (m) => m?.context && setContext(m.context));

  const server = createServer((req, res) => {
    const turnOf = /^\/turn\/(\d+)$/.exec(req.url ?? '');
    if (req.method === 'POST' && turnOf) {
      const parts = [];
      req.on('data', (chunk) => parts.push(chunk));
      req.on('end', () => {
        turn(pool, openai, Number(turnOf[1]), Buffer.concat(parts).toString('utf8')).then(
          (result) => sendJson(res, 201, result),
          fail(res),
        );
      });
      return;
    }
    req.resume();
    pool
      .query(QUERY)
      .then((result) => sendJson(res, 200, { data: result.rows, next_cursor: null }), fail(res));
  });
  serveForParent(server, close);
}

main().catch((error) => {
  console.error('db ceiling failed:', error);
  process.exit(1);
});
