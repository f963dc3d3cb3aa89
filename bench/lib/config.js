/* global console, process, setTimeout -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The bench's settings, from BENCH_* environment variables (bench/README.md lists them), and the few helpers
// every module uses.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(BENCH_DIR, '..');
export const env = process.env;
export const num = (value, fallback) => (value === undefined || value === '' ? fallback : Number(value));

const duration = num(env.BENCH_DURATION, 10);
export const CFG = {
  duration,
  connections: num(env.BENCH_CONNECTIONS, 16),
  listSessions: 50,
  pageMessages: 100,
  bigMessages: num(env.BENCH_BIG_MESSAGES, 3000),
  bigBranches: num(env.BENCH_BIG_BRANCHES, 20),
  bigRequests: num(env.BENCH_BIG_REQUESTS, Math.max(200, 100 * duration)),
  bigRounds: num(env.BENCH_BIG_ROUNDS, 3),
  segments: num(env.BENCH_SEGMENTS, 5),
  bigSessions: num(env.BENCH_BIG_SESSIONS, num(env.BENCH_CONNECTIONS, 16)),
  postSessions: num(env.BENCH_POST_SESSIONS, num(env.BENCH_CONNECTIONS, 16)),
  streams: num(env.BENCH_STREAMS, 2000),
  streamSessions: num(env.BENCH_STREAM_SESSIONS, 200),
  streamTokens: num(env.BENCH_STREAM_TOKENS, 20),
  realisticClients: num(env.BENCH_REALISTIC_CLIENTS, 20),
  tokenDelayMs: num(env.BENCH_TOKEN_DELAY_MS, 50),
  loginConnections: num(env.BENCH_LOGIN_CONNECTIONS, 4),
  searchUsers: num(env.BENCH_SEARCH_USERS, 1000),
  searchMessages: num(env.BENCH_SEARCH_MESSAGES, 200_000),
  searchApiUsers: 4, // of the search users, those registered through the API: the searches rotate over them
  contextTokens: num(env.BENCH_APP_LLM_CONTEXT_TOKENS ?? env.LLM_CONTEXT_TOKENS, 8000),
  profile: env.BENCH_PROFILE === '1', // one profile per scenario (bench/profiler-preload.js)
  profileWhole: env.BENCH_PROFILE === 'whole', // node --cpu-prof: one profile of the whole run, written at exit
  profileDir: env.BENCH_PROFILE_DIR ?? '/tmp/prof',
  keepDatabases: env.BENCH_KEEP_DATABASES === '1',
  // scenarios 1–3 measured again with the app as HTTP_WORKERS=auto (when that is more than one process)
  compareWorkers: env.BENCH_WORKERS !== '0',
  only: env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(',').map((s) => s.trim())) : null,
};
/** Whether BENCH_ONLY names this scenario (or is unset: all of them). */
export const wants = (key) => !CFG.only || CFG.only.has(key);
export const MODE = env.DATABASE_URL ? 'postgres' : 'embedded';
export const WARM_UP_REQUESTS = 2000;
export const POST_WARM_UP_S = num(env.BENCH_POST_WARM_UP, 5);

export const log = (...args) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...args);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const range = (n) => Array.from({ length: n }, (_, i) => i);
