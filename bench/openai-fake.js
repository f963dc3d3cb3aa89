/* global Buffer, setImmediate, setTimeout -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// A lean, zero-latency fake of the OpenAI Chat Completions API for the benchmark (plain JS, no test/ imports).
// `POST …/chat/completions` answers JSON, or SSE when the body has `stream: true`. Every request's context
// size (messages and characters) is recorded in `stats`, so the bench can check the context stays bounded.
import { createServer } from 'node:http';

const CREATED = 1_700_000_000;

/** ~180 characters: big enough that a long session's context hits the app's character budget. */
export const DEFAULT_REPLY =
  'This is the benchmark fake answering. It says a few plain sentences so that stored answers have a ' +
  'realistic length, and the context budget of a long conversation is actually exercised.';

/** Empty request counters (the shape of `fake.stats`). */
export function newStats() {
  return { requests: 0, streamed: 0, maxMessages: 0, maxChars: 0, totalMessages: 0, totalChars: 0 };
}

/**
 * Starts the fake on 127.0.0.1 (a free port). Options can be changed later through `fake.options`:
 * `reply` (text), `streamTokens` (pieces per streamed answer), `firstTokenDelayMs` (wait before the first
 * piece), `tokenDelayMs` (pause after each piece) and `holdFirstToken` (streamed answers send their headers,
 * then wait for `fake.releaseHeld()` before their first piece: so many streams can be opened before any runs).
 */
export async function startOpenAiFake(initial = {}) {
  const options = {
    reply: DEFAULT_REPLY,
    streamTokens: 20,
    firstTokenDelayMs: 0,
    tokenDelayMs: 0,
    ...initial,
  };
  let stats = newStats();
  let held = []; // the first pieces of streamed answers waiting for releaseHeld()

  const server = createServer((req, res) => {
    const parts = [];
    req.on('data', (chunk) => parts.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || !(req.url ?? '').split('?')[0].endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"Not found.","type":"invalid_request_error","code":"not_found"}}');
        return;
      }
      let body;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"Bad JSON.","type":"invalid_request_error"}}');
        return;
      }
      const messages = Array.isArray(body.messages) ? body.messages : [];
      let chars = 0;
      for (const m of messages) chars += typeof m.content === 'string' ? m.content.length : 0;
      stats.requests += 1;
      stats.totalMessages += messages.length;
      stats.totalChars += chars;
      if (messages.length > stats.maxMessages) stats.maxMessages = messages.length;
      if (chars > stats.maxChars) stats.maxChars = chars;
      const model = typeof body.model === 'string' ? body.model : 'gpt-4o';
      const usage = {
        prompt_tokens: Math.ceil(chars / 4),
        completion_tokens: Math.ceil(options.reply.length / 4),
        total_tokens: Math.ceil(chars / 4) + Math.ceil(options.reply.length / 4),
      };
      if (body.stream === true) {
        stats.streamed += 1;
        streamAnswer(res, model, usage, body.stream_options?.include_usage === true);
      } else {
        const json = JSON.stringify({
          id: 'chatcmpl-bench',
          object: 'chat.completion',
          created: CREATED,
          model,
          choices: [
            { index: 0, message: { role: 'assistant', content: options.reply }, finish_reason: 'stop' },
          ],
          usage,
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
        res.end(json);
      }
    });
  });
  server.keepAliveTimeout = 60_000;

  function streamAnswer(res, model, usage, includeUsage) {
    const words = options.reply.split(/(?<=\s)/);
    const count = Math.max(1, Math.min(options.streamTokens, words.length));
    const per = Math.ceil(words.length / count);
    const pieces = [];
    for (let i = 0; i < words.length; i += per) pieces.push(words.slice(i, i + per).join(''));
    const frame = (choices, extra = {}) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: CREATED, model, choices, ...extra })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let index = 0;
    const next = () => {
      if (res.destroyed) return;
      if (index < pieces.length) {
        const delta = index === 0 ? { role: 'assistant', content: pieces[0] } : { content: pieces[index] };
        res.write(frame([{ index: 0, delta, finish_reason: null }]));
        index += 1;
        if (options.tokenDelayMs > 0) setTimeout(next, options.tokenDelayMs);
        else setImmediate(next);
        return;
      }
      let tail = frame([{ index: 0, delta: {}, finish_reason: 'stop' }]);
      if (includeUsage) tail += frame([], { usage });
      res.end(`${tail}data: [DONE]\n\n`);
    };
    if (options.holdFirstToken) {
      res.flushHeaders();
      held.push(next);
    } else if (options.firstTokenDelayMs > 0) setTimeout(next, options.firstTokenDelayMs);
    else next();
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve);
  });
  const { port } = server.address();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    options,
    /** Counters since the last reset. */
    get stats() {
      return stats;
    },
    /** Starts the streamed answers held by `holdFirstToken` and stops holding; how many there were. */
    releaseHeld() {
      options.holdFirstToken = false; // one that arrives later is not held forever
      const waiting = held;
      held = [];
      for (const next of waiting) next();
      return waiting.length;
    },
    resetStats() {
      const previous = stats;
      stats = newStats();
      return previous;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
