import { applyDecorators } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { LLM_PROVIDER_NAMES, type LlmProviderName } from './llm-provider-names.js';
import { ANTHROPIC_MODEL_NAME, GEMINI_MODEL_NAME, MODEL_NAME } from '../llm/model-name.js';

/**
 * A text search configuration's name as SEARCH_LANGUAGE may give it (`simple`, `english`, `german` …):
 * a plain identifier, since it is written into the search columns' SQL, where no parameter can go.
 */
export const SEARCH_LANGUAGE_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** A duration such as `900`, `15m`, `12h` or `30d` (seconds when unitless). */
export const DURATION_PATTERN = /^\d+\s*(ms|s|m|h|d)?$/;

const toBoolean = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? (({ true: true, '1': true, false: false, '0': false } as Record<string, boolean>)[
        value.toLowerCase()
      ] ?? value)
    : value;

const emptyToUndefined = ({ value }: { value: unknown }): unknown => (value === '' ? undefined : value);

/** A number of tokens, or unset. */
const OptionalTokens = (): PropertyDecorator =>
  applyDecorators(
    Transform(emptyToUndefined),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(0),
    Max(Number.MAX_SAFE_INTEGER),
  );

/** The environment the service accepts. Every property is one variable of README's configuration table. */
export class EnvironmentVariables {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsString() POSTGRES_DB?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() POSTGRES_USER?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() POSTGRES_PASSWORD?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() POSTGRES_HOST?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  POSTGRES_PORT?: number;

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) DB_POOL_SIZE = 10;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(600000) DB_CONNECT_TIMEOUT_MS = 5000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(3600000) DB_STATEMENT_TIMEOUT_MS = 30000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(3600000) DB_QUERY_TIMEOUT_MS = 35000;
  @IsOptional() @Transform(toBoolean) @IsBoolean() DB_PREPARED_STATEMENTS = true;

  @IsOptional() @IsString() @MinLength(1) DATA_DIR = './data';

  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsOptional() @IsString() HOST = '0.0.0.0';
  @IsOptional()
  @Matches(/^(auto|[1-9]\d?)$/, { message: 'HTTP_WORKERS must be auto or a number from 1 to 99' })
  HTTP_WORKERS = '1';

  @Transform(emptyToUndefined)
  @ValidateIf((env: EnvironmentVariables) => env.NODE_ENV === 'production' || env.JWT_SECRET !== undefined)
  @IsString({ message: 'JWT_SECRET (or SECRET_KEY) is required when NODE_ENV=production' })
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsOptional()
  @Matches(DURATION_PATTERN, { message: 'JWT_ACCESS_TTL must be a duration such as 15m' })
  JWT_ACCESS_TTL = '15m';
  @IsOptional()
  @Matches(DURATION_PATTERN, { message: 'JWT_REFRESH_TTL must be a duration such as 30d' })
  JWT_REFRESH_TTL = '30d';

  @Transform(emptyToUndefined) @IsOptional() @IsIn(LLM_PROVIDER_NAMES) LLM_PROVIDER?: LlmProviderName;

  @Transform(emptyToUndefined) @IsOptional() @IsString() OPENAI_API_KEY?: string;
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  OPENAI_BASE_URL?: string;
  @IsOptional()
  @Matches(MODEL_NAME, { message: 'OPENAI_MODEL may contain only letters, digits and . : / @ - _' })
  OPENAI_MODEL = 'gpt-4o';

  @Transform(emptyToUndefined) @IsOptional() @IsString() GEMINI_API_KEY?: string;
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  GEMINI_BASE_URL?: string;
  @IsOptional()
  @Matches(GEMINI_MODEL_NAME, { message: 'GEMINI_MODEL may contain only letters, digits and . - _' })
  GEMINI_MODEL = 'gemini-2.0-flash';

  @Transform(emptyToUndefined) @IsOptional() @IsString() ANTHROPIC_API_KEY?: string;
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  ANTHROPIC_BASE_URL?: string;
  @IsOptional()
  @Matches(ANTHROPIC_MODEL_NAME, {
    message:
      'ANTHROPIC_MODEL may contain only letters, digits and . : @ - _, starting with a letter or digit',
  })
  ANTHROPIC_MODEL = 'claude-sonnet-4-6';
  /** The Messages API requires max_tokens on every request; 8192 leaves a long answer room on every current model. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(128000) ANTHROPIC_MAX_TOKENS = 8192;

  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(600000) LLM_TIMEOUT_MS = 60000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(10) LLM_MAX_RETRIES = 2;
  @IsOptional() @Type(() => Number) @IsInt() @Min(256) @Max(2000000) LLM_CONTEXT_TOKENS = 8000;
  @IsOptional() @IsIn(['model', 'question']) LLM_TITLES: 'model' | 'question' = 'model';

  /** Models the gateway lists besides each provider's default: `provider/model`, comma-separated. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^\s*[a-z]+\/[\w.:/@-]+\s*(,\s*[a-z]+\/[\w.:/@-]+\s*)*$/, {
    message: 'GATEWAY_MODELS must be a comma-separated list of provider/model',
  })
  GATEWAY_MODELS?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsString() CORS_ALLOWED_ORIGINS?: string;
  @IsOptional() @Transform(toBoolean) @IsBoolean() CORS_ALLOW_CREDENTIALS = false;

  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @IsOptional() @Transform(toBoolean) @IsBoolean() TRUST_PROXY = false;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) @Max(600000) SHUTDOWN_TIMEOUT_MS = 15000;

  @IsOptional() @Type(() => Number) @IsInt() @Min(300) @Max(600000) GENERATION_LEASE_MS = 30000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(86400000) GENERATION_RETAIN_MS = 60000;
  @IsOptional() @Type(() => Number) @IsInt() @Min(10) @Max(1000000) GENERATION_MAX_EVENTS = 10000;

  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10000) LOGIN_MAX_FAILURES = 10;
  @IsOptional()
  @Matches(DURATION_PATTERN, { message: 'LOGIN_FAILURE_WINDOW must be a duration such as 15m' })
  LOGIN_FAILURE_WINDOW = '15m';

  @OptionalTokens() QUOTA_DAILY_TOKENS?: number;
  @OptionalTokens() QUOTA_MONTHLY_TOKENS?: number;

  /** Turns a user may start per minute (admins exempt); 0 turns the limit off. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1000000) CHAT_RATE_LIMIT = 30;
  @IsOptional()
  @Matches(SEARCH_LANGUAGE_NAME, {
    message: 'SEARCH_LANGUAGE must name a text search configuration, such as simple or english',
  })
  SEARCH_LANGUAGE = 'simple';
}
