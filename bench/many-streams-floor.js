/* global Buffer, process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The floor of scenario `streams9k`: the least a server can hold for one streamed answer, with no database
// and no framework. Bare node:http; `POST /api/v1/chat-sessions` answers a random id, and
// `POST /api/v1/chat-sessions/:id/messages` streams one answer through the openai SDK (on its own fetch,
// as the app's provider) from OPENAI_BASE_URL, relayed as the app's SSE events (`message.created`,
// `delta`s, `message.completed`). Forked by `node bench/scenario-many-streams.js floor`; reports its port
// over IPC.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import OpenAI from 'openai';

const client = new OpenAI({ apiKey: 'bench', baseURL: process.env.OPENAI_BASE_URL, timeout: 600_000 });

async function answer(req, res, body) {
  const { content } = JSON.parse(body);
  const answerId = randomUUID();
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  let id = 0;
  const send = (event, data) => res.write(`id: ${++id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('message.created', { role: 'user', content, assistant_message_id: answerId });
  let text = '';
  try {
    const chunks = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of chunks) {
      const piece = chunk.choices[0]?.delta.content;
      if (piece) {
        text += piece;
        send('delta', { message_id: answerId, text: piece });
      }
    }
    send('message.completed', { id: answerId, role: 'assistant', content: text, status: 'complete' });
  } catch (error) {
    send('error', { status: 502, detail: String(error) });
  }
  res.end();
}

const server = createServer((req, res) => {
  const parts = [];
  req.on('data', (chunk) => parts.push(chunk));
  req.on('end', () => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/health') return res.end('{"status":"ok"}');
    if (req.method === 'POST' && path === '/api/v1/chat-sessions') {
      res.writeHead(201, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ id: randomUUID() }));
    }
    if (req.method === 'POST' && /^\/api\/v1\/chat-sessions\/[^/]+\/messages$/.test(path))
      return void answer(req, res, Buffer.concat(parts).toString('utf8'));
    res.writeHead(404).end();
  });
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () =>
  process.send?.({ port: server.address().port }),
);
process.on('SIGTERM', () => process.exit(0));
