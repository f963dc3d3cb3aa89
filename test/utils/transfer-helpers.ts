import { request as httpRequest } from 'node:http';
import { expect } from '@jest/globals';
import type { Response } from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';

export const IMPORT = '/api/v1/import';
export const EXPORT_ALL = '/api/v1/export';
export const exportUrl = (sessionId: string): string => `/api/v1/chat-sessions/${sessionId}/export`;
export const CHATGPT_FIXTURE = 'test/fixtures/chatgpt-conversations.json';

export interface ImportReport {
  imported: number;
  failed: number;
  skipped: { duplicates: number; messages: number; parts: number };
  errors: { index: number; title: string | null; reason: string }[];
}

export interface ExportedMessage {
  id: string;
  parent_id: string | null;
  role: string;
  content: string;
  status: string;
  provider: string | null;
  model: string | null;
  usage: { prompt_tokens: number | null; completion_tokens: number | null } | null;
  error: string | null;
  created_at: string;
}

export interface SessionExport {
  format: string;
  id: string;
  title: string | null;
  system_prompt: string | null;
  provider: string | null;
  model: string | null;
  active_leaf_id: string | null;
  source_id: string | null;
  created_at: string;
  updated_at: string;
  messages: ExportedMessage[];
}

/** POSTs a file body to the import route with a content type; returns the raw answer. */
export function postImport(
  http: TestAgent,
  auth: string,
  body: string,
  type = 'application/json',
): Promise<Response> {
  return http.post(IMPORT).set('Authorization', auth).set('Content-Type', type).send(body);
}

/** Imports a file body, expecting 200; returns the report. */
export async function importOk(
  http: TestAgent,
  auth: string,
  body: string,
  type?: string,
): Promise<ImportReport> {
  const res = await postImport(http, auth, body, type);
  expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 200 });
  return res.body as ImportReport;
}

/** Every session of the caller as exported by `GET /api/v1/export`, one per line. */
export async function exportAll(http: TestAgent, auth: string): Promise<SessionExport[]> {
  const res = await http
    .get(EXPORT_ALL)
    .set('Authorization', auth)
    .buffer(true)
    .parse((stream, done) => {
      let text = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (text += chunk));
      stream.on('end', () => done(null, text));
    });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
  expect(res.headers['content-disposition']).toMatch(/^attachment; filename="chatbot-export\.jsonl"$/);
  const text = res.body as string;
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as SessionExport);
}

/**
 * A session's export without its ids: each message's parent and the active leaf as positions in
 * `messages`, so that the same tree imported elsewhere (new ids) compares equal.
 */
export function withoutIds(session: SessionExport): unknown {
  const position = new Map(session.messages.map((m, i) => [m.id, i]));
  const at = (id: string | null) => (id === null ? null : position.get(id));
  return {
    format: session.format,
    title: session.title,
    system_prompt: session.system_prompt,
    provider: session.provider,
    model: session.model,
    created_at: session.created_at,
    updated_at: session.updated_at,
    active_leaf: at(session.active_leaf_id),
    messages: session.messages.map(({ id: _id, parent_id, ...rest }) => ({ ...rest, parent: at(parent_id) })),
  };
}

const BOUNDARY = 'import-file-boundary';
const FORM_HEAD = Buffer.from(
  `--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="big.json"\r\n` +
    'content-type: application/json\r\n\r\n',
);
const FORM_TAIL = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);

/**
 * POSTs an import file of `megabytes` MiB (a `[` and spaces) to the import route over node:http, a MiB
 * at a time until the server answers, and returns that answer: status and body. The file is the body
 * (JSON), or with `form` the file of a `multipart/form-data` form. With `declareLength`, Content-Length
 * says the full size up front; otherwise the body is chunked. (supertest writes a whole buffer before it
 * reads an answer, so an early 413 would never reach it.)
 */
export function postLargeImport(
  baseUrl: string,
  auth: string,
  megabytes: number,
  declareLength: boolean,
  form = false,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const { hostname, port } = new URL(baseUrl);
  const headers: Record<string, string> = {
    authorization: auth,
    'content-type': form ? `multipart/form-data; boundary=${BOUNDARY}` : 'application/json',
  };
  const [head, tail] = form ? [FORM_HEAD, FORM_TAIL] : [Buffer.alloc(0), Buffer.alloc(0)];
  if (declareLength) headers['content-length'] = String(head.length + megabytes * 1024 * 1024 + tail.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path: IMPORT, method: 'POST', headers });
    let answered = false;
    req.once('error', (error) => (answered ? undefined : reject(error)));
    req.once('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
      });
    });
    void (async () => {
      req.write(head);
      for (let i = 0; i < megabytes && !answered; i++) {
        const chunk = Buffer.alloc(1024 * 1024, 0x20);
        if (i === 0) chunk[0] = 0x5b;
        if (!req.write(chunk)) await new Promise((drained) => req.once('drain', drained));
      }
      if (!answered) req.end(tail);
    })();
  });
}
