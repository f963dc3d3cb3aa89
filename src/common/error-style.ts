/**
 * Which error shape a path answers with: RFC 9457 problem details on the native API, Django REST
 * Framework shapes on the two seed contracts (whose clients parse `detail` and per-field lists).
 */
export type ErrorStyle = 'problem' | 'quick-chat' | 'sessions-seed';

const QUICK_CHAT = /^\/api\/v1\/(accounts|chat)(\/|$)/;
const SESSIONS_SEED = /^(\/api)?\/(register|login|token|chatsessions)(\/|$)/;

export function errorStyleFor(url: string): ErrorStyle {
  const path = url.split('?', 1)[0];
  if (QUICK_CHAT.test(path)) return 'quick-chat';
  if (SESSIONS_SEED.test(path)) return 'sessions-seed';
  return 'problem';
}
