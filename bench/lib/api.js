/* global fetch -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The app's API as the bench calls it: one request at a time (seeding) or as autocannon options.
import { postsInTurn } from './load.js';

export async function api(base, method, path, { token, body, expect = [200, 201] } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!expect.includes(response.status))
    throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

export const QUESTION =
  'Please explain, in a few sentences, how keyset pagination differs from offset pagination and why it stays fast on long lists. Question number ';

export const auth = (token) => ({ authorization: `Bearer ${token}` });
const jsonPost = (token) => ({ ...auth(token), 'content-type': 'application/json' });

export const newSession = (base, token) =>
  api(base, 'POST', '/api/v1/chat-sessions', { token, body: {} }).then((s) => s.id);

/** autocannon options that post a question into each of `sessions` in turn (as the POST user), one request each. */
export const postsInto = (ctx, sessions, tag, origin = ctx.base) =>
  postsInTurn(
    origin,
    sessions.map((id) => `/api/v1/chat-sessions/${id}/messages`),
    jsonPost(ctx.users.post.token),
    { content: `${QUESTION}${tag}.` },
  );
