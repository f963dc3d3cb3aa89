import { parseEnv } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { EnvironmentVariables } from './env.schema.js';
import { parseDuration } from './duration.js';
import type { LlmProviderName } from './llm-provider-names.js';
import { usableCpus } from './usable-cpus.js';

export { LLM_PROVIDER_NAMES, type LlmProviderName } from './llm-provider-names.js';

export type DatabaseConfig =
  | { kind: 'embedded'; dataDir: string }
  | {
      kind: 'postgres';
      url?: string;
      host?: string;
      port?: number;
      database?: string;
      user?: string;
      password?: string;
      poolSize: number;
      /** Connecting, or waiting for a free pooled connection. */
      connectTimeoutMs: number;
      /** Server side: PostgreSQL cancels a longer statement. */
      statementTimeoutMs: number;
      /** Client side: a query without an answer by then fails, and its connection is dropped. */
      queryTimeoutMs: number;
      /** Send the ORM's parameterised queries as named prepared statements (off behind a pooler that cannot keep them). */
      preparedStatements: boolean;
    };

/** How answers being generated are tracked (see src/generations and GenerationLeasesService). */
export interface GenerationSettings {
  /** How long an instance's claim on an answer it generates lasts unless renewed (renewed every third of it). */
  leaseMs: number;
  /** How long an ended answer's events stay for a resume. */
  retainMs: number;
  /** The most events kept per answer (the oldest dropped first). */
  maxEvents: number;
}

/** Typed, validated configuration: built once at start-up and injected by class. */
export class AppConfig {
  readonly env!: 'development' | 'production' | 'test';
  readonly http!: {
    host: string;
    port: number;
    trustProxy: boolean;
    corsOrigins: string[];
    corsCredentials: boolean;
    /** Server processes sharing the port (1: this process serves; more: it supervises that many). */
    workers: number;
    /** A graceful shutdown that takes longer ends the process anyway. */
    shutdownTimeoutMs: number;
  };
  readonly database!: DatabaseConfig;
  readonly dataDir!: string;
  readonly logLevel!: string;
  readonly jwt!: {
    secret?: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
    issuer: string;
    audience: string;
  };
  readonly llm!: {
    defaultProvider: LlmProviderName;
    timeoutMs: number;
    maxRetries: number;
    contextTokens: number;
    /** How an untitled session is named: its first question, then a title the model writes (`model`), or just the question. */
    titles: 'model' | 'question';
    openai: { apiKey?: string; baseUrl?: string; model: string };
    gemini: { apiKey?: string; baseUrl?: string; model: string };
    /** `maxTokens`: the answer's length cap, which the Messages API requires on every request. */
    anthropic: { apiKey?: string; baseUrl?: string; model: string; maxTokens: number };
    /** Models the gateway's `/v1/models` lists besides each configured provider's default (`provider/model`). */
    gatewayModels: string[];
  };
  readonly loginLimit!: { maxFailures: number; windowSeconds: number };
  /** Default token budgets of every user (null: unlimited); a user's own override wins. */
  readonly quotas!: { dailyTokens: number | null; monthlyTokens: number | null };
  /** Turns a user may start per minute (0: no limit); admins are exempt. */
  readonly chatRateLimit!: number;
  readonly redisUrl?: string;
  readonly generations!: GenerationSettings;
  /** The text search configuration search parses words with (the search columns are built in it). */
  readonly searchLanguage!: string;
}

export class ConfigValidationError extends Error {}

/** Reads `.env` (when present) under the real environment, which wins. */
export function readEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  envFile = resolve('.env'),
): Record<string, string | undefined> {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...env };
}

export function loadConfig(raw: Record<string, string | undefined> = readEnvironment()): AppConfig {
  const aliased: Record<string, string | undefined> = {
    ...raw,
    JWT_SECRET: raw.JWT_SECRET || raw.SECRET_KEY,
    GEMINI_API_KEY: raw.GEMINI_API_KEY || raw.GOOGLE_GEMINI_API_KEY,
  };
  const known: Record<string, string> = {};
  for (const key of KNOWN_KEYS) {
    const value = aliased[key];
    if (value !== undefined && value !== '') known[key] = value; // an empty variable means unset (compose's ${VAR:-})
  }
  const env = plainToInstance(EnvironmentVariables, known, { exposeDefaultValues: true });
  const problems = validateSync(env).map(
    (e) => `  ${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`,
  );
  if (env.LLM_PROVIDER === 'openai' && !env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) {
    problems.push(
      '  LLM_PROVIDER: openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server)',
    );
  }
  if (env.LLM_PROVIDER === 'gemini' && !env.GEMINI_API_KEY) {
    problems.push('  LLM_PROVIDER: gemini needs GEMINI_API_KEY (or GOOGLE_GEMINI_API_KEY)');
  }
  if (env.LLM_PROVIDER === 'anthropic' && !env.ANTHROPIC_API_KEY) {
    problems.push('  LLM_PROVIDER: anthropic needs ANTHROPIC_API_KEY');
  }
  if (workersOf(env) > 1 && !usesDatabaseServer(env)) {
    problems.push(
      '  HTTP_WORKERS: more than one worker needs a PostgreSQL server (DATABASE_URL or POSTGRES_*): the embedded database lives inside one process',
    );
  }
  if (problems.length > 0) throw new ConfigValidationError(`Invalid configuration:\n${problems.join('\n')}`);
  return buildConfig(env);
}

const KNOWN_KEYS = [
  'NODE_ENV',
  'DATABASE_URL',
  'POSTGRES_DB',
  'POSTGRES_USER',
  'POSTGRES_PASSWORD',
  'POSTGRES_HOST',
  'POSTGRES_PORT',
  'DB_POOL_SIZE',
  'DB_CONNECT_TIMEOUT_MS',
  'DB_STATEMENT_TIMEOUT_MS',
  'DB_QUERY_TIMEOUT_MS',
  'DB_PREPARED_STATEMENTS',
  'SHUTDOWN_TIMEOUT_MS',
  'DATA_DIR',
  'PORT',
  'HOST',
  'HTTP_WORKERS',
  'JWT_SECRET',
  'JWT_ACCESS_TTL',
  'JWT_REFRESH_TTL',
  'LLM_PROVIDER',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'OPENAI_MODEL',
  'GEMINI_API_KEY',
  'GEMINI_BASE_URL',
  'GEMINI_MODEL',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_MODEL',
  'ANTHROPIC_MAX_TOKENS',
  'LLM_TIMEOUT_MS',
  'LLM_MAX_RETRIES',
  'LLM_CONTEXT_TOKENS',
  'LLM_TITLES',
  'GATEWAY_MODELS',
  'CORS_ALLOWED_ORIGINS',
  'CORS_ALLOW_CREDENTIALS',
  'LOG_LEVEL',
  'REDIS_URL',
  'TRUST_PROXY',
  'LOGIN_MAX_FAILURES',
  'LOGIN_FAILURE_WINDOW',
  'GENERATION_LEASE_MS',
  'GENERATION_RETAIN_MS',
  'GENERATION_MAX_EVENTS',
  'QUOTA_DAILY_TOKENS',
  'QUOTA_MONTHLY_TOKENS',
  'CHAT_RATE_LIMIT',
  'SEARCH_LANGUAGE',
] as const;

function usesDatabaseServer(env: EnvironmentVariables): boolean {
  return Boolean(env.DATABASE_URL || env.POSTGRES_HOST || env.POSTGRES_DB);
}

/** `auto`: one worker per usable CPU on a PostgreSQL server, one process on the embedded database. */
function workersOf(env: EnvironmentVariables): number {
  if (env.HTTP_WORKERS !== 'auto') return Number(env.HTTP_WORKERS);
  return usesDatabaseServer(env) ? usableCpus() : 1;
}

function buildConfig(env: EnvironmentVariables): AppConfig {
  const database: DatabaseConfig = usesDatabaseServer(env)
    ? {
        kind: 'postgres',
        url: env.DATABASE_URL,
        host: env.POSTGRES_HOST ?? 'localhost',
        port: env.POSTGRES_PORT ?? 5432,
        database: env.POSTGRES_DB,
        user: env.POSTGRES_USER,
        password: env.POSTGRES_PASSWORD,
        poolSize: env.DB_POOL_SIZE,
        connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
        statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
        queryTimeoutMs: env.DB_QUERY_TIMEOUT_MS,
        preparedStatements: env.DB_PREPARED_STATEMENTS,
      }
    : { kind: 'embedded', dataDir: resolve(env.DATA_DIR) };
  const configured: LlmProviderName[] = [];
  if (env.OPENAI_API_KEY || env.OPENAI_BASE_URL) configured.push('openai');
  if (env.GEMINI_API_KEY) configured.push('gemini');
  if (env.ANTHROPIC_API_KEY) configured.push('anthropic');
  return {
    env: env.NODE_ENV,
    http: {
      host: env.HOST,
      port: env.PORT,
      trustProxy: env.TRUST_PROXY,
      corsOrigins: (env.CORS_ALLOWED_ORIGINS ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      corsCredentials: env.CORS_ALLOW_CREDENTIALS,
      workers: workersOf(env),
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    },
    database,
    dataDir: resolve(env.DATA_DIR),
    logLevel: env.LOG_LEVEL,
    jwt: {
      secret: env.JWT_SECRET,
      accessTtlSeconds: parseDuration(env.JWT_ACCESS_TTL),
      refreshTtlSeconds: parseDuration(env.JWT_REFRESH_TTL),
      issuer: 'chatbot-backend',
      audience: 'chatbot-backend',
    },
    llm: {
      defaultProvider: env.LLM_PROVIDER ?? configured[0] ?? 'echo',
      timeoutMs: env.LLM_TIMEOUT_MS,
      maxRetries: env.LLM_MAX_RETRIES,
      contextTokens: env.LLM_CONTEXT_TOKENS,
      titles: env.LLM_TITLES,
      openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL, model: env.OPENAI_MODEL },
      gemini: { apiKey: env.GEMINI_API_KEY, baseUrl: env.GEMINI_BASE_URL, model: env.GEMINI_MODEL },
      anthropic: {
        apiKey: env.ANTHROPIC_API_KEY,
        baseUrl: env.ANTHROPIC_BASE_URL,
        model: env.ANTHROPIC_MODEL,
        maxTokens: env.ANTHROPIC_MAX_TOKENS,
      },
      gatewayModels: (env.GATEWAY_MODELS ?? '')
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    },
    loginLimit: {
      maxFailures: env.LOGIN_MAX_FAILURES,
      windowSeconds: parseDuration(env.LOGIN_FAILURE_WINDOW),
    },
    quotas: { dailyTokens: env.QUOTA_DAILY_TOKENS ?? null, monthlyTokens: env.QUOTA_MONTHLY_TOKENS ?? null },
    chatRateLimit: env.CHAT_RATE_LIMIT,
    redisUrl: env.REDIS_URL,
    generations: {
      leaseMs: env.GENERATION_LEASE_MS,
      retainMs: env.GENERATION_RETAIN_MS,
      maxEvents: env.GENERATION_MAX_EVENTS,
    },
    searchLanguage: env.SEARCH_LANGUAGE,
  };
}
