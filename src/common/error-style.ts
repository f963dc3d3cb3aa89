/**
 * Which error shape a path answers with: RFC 9457 problem details on the native API, Django REST
 * Framework shapes on the two seed contracts (whose clients parse `detail` and per-field lists), and
 * OpenAI's `{error: {message, type, param, code}}` on the OpenAI-compatible gateway (`/v1/*`).
 */
export type ErrorStyle = 'problem' | 'quick-chat' | 'sessions-seed' | 'openai';

const GATEWAY = /^\/v1(\/|$)/;

const QUICK_CHAT = /^\/api\/v1\/(accounts|chat)(\/|$)/;
const SESSIONS_SEED = /^(\/api)?\/(register|login|token|chatsessions)(\/|$)/;

export function errorStyleFor(url: string): ErrorStyle {
  const path = url.split('?', 1)[0];
  if (GATEWAY.test(path)) return 'openai';
  if (QUICK_CHAT.test(path)) return 'quick-chat';
  if (SESSIONS_SEED.test(path)) return 'sessions-seed';
  return 'problem';
}

/** Whether a path's routes take JSON only (a form body is a 415): the native API and the gateway. */
export const takesJsonOnly = (url: string): boolean => {
  const style = errorStyleFor(url);
  return style === 'problem' || style === 'openai';
};
