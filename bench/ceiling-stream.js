/* global Buffer, console, process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The "stream ceiling": the least a streamed chat turn does, with nothing of the app's (no authentication,
// validation, ownership check, rate limit, budget or event log). `POST /stream/<session>` with
// `{"content": "…"}`: read the session's context (one prepared query: its last CONTEXT_MESSAGES
// messages), store the question and an empty `streaming` answer (one INSERT of two rows), open the SSE
// response with `event: message.created`, stream the answer through the OpenAI SDK (`stream: true`, on the
// SDK's own fetch, as the app's provider) from the fake (FAKE_URL), forward each piece as `event: delta`,
// then store the answer (one UPDATE) and end with `event: message.completed`. Sessions are numbers the
// bench chooses; a new number is a new session. The database: bench/ceiling-pool.js (PostgreSQL, or a
// PGlite of its own). Forked by bench/run.js: reports its port over IPC, exits when the parent disconnects.
import { createServer } from 'node:http';
import OpenAI from 'openai';
import { openCeilingPool } from './ceiling-pool.js';
import { serveForParent } from './ceiling-serve.js';

/**
 * The most messages a context draws on. The bench's first-delta scenario keeps its sessions shorter, so
 * that the ceiling sends what the app sends (every earlier turn, within the app's character budget).
 */
const CONTEXT_MESSAGES = 100;

const CONTEXT = {
  name: 'stream_context',
  text: `SELECT role, content FROM stream_messages WHERE session_id = $1 ORDER BY id DESC LIMIT ${CONTEXT_MESSAGES}`,
};
const STORE_TURN = {
  name: 'stream_turn',
  text: `INSERT INTO stream_messages (session_id, role, content, status)
         VALUES ($1, 'user', $2, 'complete'), ($1, 'assistant', '', 'streaming')
         RETURNING id, role, content, status, created_at`,
};
const FINISH_ANSWER = {
  name: 'stream_finish',
  text: `UPDATE stream_messages SET content = $2, status = 'complete', prompt_tokens = $3, completion_tokens = $4
          WHERE id = $1 RETURNING id, role, content, status, prompt_tokens, completion_tokens, created_at`,
};

/** A response's SSE events, numbered from 1. */
function eventsOf(res) {
  let id = 0;
  return (name, data) => res.write(`id: ${++id}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
}

async function streamTurn(pool, openai, sessionId, body, res) {
  const { content } = JSON.parse(body);
  const earlier = (await pool.query({ ...CONTEXT, values: [sessionId] })).rows.reverse();
  const [question, answer] = (await pool.query({ ...STORE_TURN, values: [sessionId, content] })).rows;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const event = eventsOf(res);
  event('message.created', { ...question, answer_id: answer.id });
  let text = '';
  let usage = null;
  try {
    const chunks = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [...earlier, { role: 'user', content }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of chunks) {
      usage = chunk.usage ?? usage;
      const piece = chunk.choices[0]?.delta.content;
      if (!piece) continue;
      text += piece;
      event('delta', { message_id: answer.id, text: piece });
    }
    const values = [answer.id, text, usage?.prompt_tokens ?? null, usage?.completion_tokens ?? null];
    const stored = (await pool.query({ ...FINISH_ANSWER, values })).rows[0];
    event('message.completed', stored);
  } catch (error) {
    event('error', { title: String(error) });
  }
  res.end();
}

async function main() {
  const { pool, close } = await openCeilingPool();
  await pool.query(`
    CREATE TABLE IF NOT EXISTS stream_messages (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      session_id integer NOT NULL,
      role varchar(16) NOT NULL,
      content text NOT NULL,
      status varchar(16) NOT NULL,
      prompt_tokens integer,
      completion_tokens integer,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  await pool.query(
    'CREATE INDEX IF NOT EXISTS stream_messages_session_idx ON stream_messages (session_id, id)',
  );
  // on the SDK's own fetch (Node's), as the app's provider is
  const openai = new OpenAI({ apiKey: 'not-needed', baseURL: `${process.env.FAKE_URL}/v1`, maxRetries: 0 });

  const server = createServer((req, res) => {
    const session = /^\/stream\/(\d+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !session) {
      req.resume();
      res.writeHead(404).end();
      return;
    }
    const parts = [];
    req.on('data', (chunk) => parts.push(chunk));
    req.on('end', () => {
      streamTurn(pool, openai, Number(session[1]), Buffer.concat(parts).toString('utf8'), res).catch(
        (error) => {
          // before the stream opened (a failed read or insert): a plain 500, which the bench counts
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(error));
        },
      );
    });
  });
  serveForParent(server, close);
}

main().catch((error) => {
  console.error('stream ceiling failed:', error);
  process.exit(1);
});
