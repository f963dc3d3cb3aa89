import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath, type HeadersObject } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ProblemDetailsDto } from './dto/problem-details.dto.js';
import { SeedDetailErrorDto, SeedErrorDto, SeedFailedTurnDto } from './dto/seed-errors.dto.js';

type ApiDecorator = MethodDecorator & ClassDecorator;

/** The error statuses the native API documents. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 502 | 503 | 504;

/** What a status usually means on the native API, and a `detail` it may carry. */
const PROBLEMS: Record<ProblemStatus, { description: string; detail: string }> = {
  400: {
    description:
      'Invalid request: each bad field is named in `errors`. Unknown fields, malformed JSON, JSON nested ' +
      'past 32 levels or holding over 1,000 keys in an object or 10,000 values in all, and text with a NUL ' +
      'or an unpaired surrogate are refused as well (a body that is not JSON is a 415).',
    detail: 'Invalid username.',
  },
  401: {
    description:
      'No valid access token: missing, malformed, expired or revoked, or a refresh token presented as an ' +
      'access token.',
    detail: 'Authentication required.',
  },
  403: {
    description: 'The caller does not have the role this route needs.',
    detail: 'This route is for administrators.',
  },
  404: {
    description: "No such chat session for the caller: unknown, malformed, or another user's id (never 403).",
    detail: 'Chat session not found.',
  },
  409: {
    description: 'The username is taken (compared case-insensitively).',
    detail: 'A user with that username already exists.',
  },
  413: {
    description: 'The request body is larger than 1 MiB.',
    detail: 'The request body is larger than 1 MiB.',
  },
  415: {
    description: 'Unsupported content type; send `application/json`.',
    detail: 'Unsupported content type; send application/json.',
  },
  429: {
    description: 'Too many failed logins for this username or from this client: wait `Retry-After` seconds.',
    detail: 'Too many failed attempts; try again later.',
  },
  502: {
    description:
      'The provider answered with an error. The user message stays stored; the assistant message is ' +
      'stored with `status: "failed"` and `error`.',
    detail: 'OpenAI request failed (HTTP 500): 500 Internal Server Error',
  },
  503: {
    description:
      'The provider is rate-limited, overloaded or not configured on this server. Both messages are stored, the ' +
      'answer as failed.',
    detail: 'OpenAI rate limit reached (HTTP 429)',
  },
  504: {
    description: 'The provider did not answer in time. Both messages are stored, the answer as failed.',
    detail: 'OpenAI did not answer within 60000 ms',
  },
};

const RETRY_AFTER: HeadersObject = {
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    required: true,
    schema: { type: 'integer' },
  },
};

const WWW_AUTHENTICATE: HeadersObject = {
  'WWW-Authenticate': {
    description: 'The scheme to authenticate with.',
    required: true,
    schema: { type: 'string', example: 'Bearer realm="api"' },
  },
};

/** What a route's example body says instead of the status's usual one. */
export interface ProblemExample {
  detail?: string;
  /** Each `{field, message}`, with the members of the route's own schema if it has one. */
  errors?: ({ field: string; message: string } & Record<string, unknown>)[];
  /** The route's own subtype of {@link ProblemDetailsDto} (richer `errors` items). */
  schema?: Type<unknown>;
}

/** A status, or a status with the description (and the example's `detail`/`errors`) this route gives it. */
export type ProblemResponse =
  ProblemStatus | [ProblemStatus, string] | [ProblemStatus, string, ProblemExample];

/** The 400 of a keyset-paginated list (`limit`, `cursor`). */
export const BAD_PAGE_QUERY: ProblemResponse = [
  400,
  '`limit` outside 1–100, or a malformed `cursor`.',
  { detail: 'Invalid limit.', errors: [{ field: 'limit', message: 'limit must not be greater than 100' }] },
];

/**
 * Documents native-API error responses: `application/problem+json` bodies of {@link ProblemDetailsDto},
 * with the usual meaning of each status unless a route gives its own (`[404, 'Unknown session']`).
 * Works on a controller (every route) or on a handler; a handler's entry wins for the same status.
 */
export function ApiProblemResponses(...responses: ProblemResponse[]): ApiDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...responses.map((response) => {
      const [status, description, own = {}] = Array.isArray(response) ? response : [response];
      const problem = PROBLEMS[status];
      const errors =
        own.errors ??
        (status === 400 ? [{ field: 'username', message: 'username must not be empty' }] : undefined);
      const example: Record<string, unknown> = {
        type: 'about:blank',
        title: STATUS_CODES[status],
        status,
        detail: own.detail ?? problem.detail,
        ...(errors ? { errors } : {}),
        request_id: '3f2a8c1e-5b7d-4e0a-9c6f-1d2e3f4a5b6c',
      };
      return applyDecorators(
        ...(own.schema ? [ApiExtraModels(own.schema)] : []),
        ApiResponse({
          status,
          description: description ?? problem.description,
          headers: status === 429 ? RETRY_AFTER : status === 401 ? WWW_AUTHENTICATE : undefined,
          content: {
            'application/problem+json': {
              schema: { $ref: getSchemaPath(own.schema ?? ProblemDetailsDto) },
              example,
            },
          },
        }),
      );
    }),
  );
}

/**
 * An error body of the seed contracts, exactly as their clients parse it: `{"error": …}`,
 * `{"detail": …}` (with SimpleJWT's `code` where it has one), or Django REST Framework's per-field
 * lists `{"field": ["message", …]}`.
 */
export type SeedErrorBody =
  { error: string; session_id?: string } | { detail: string; code?: string } | Record<string, string[]>;

const DRF_FIELD_ERRORS = {
  type: 'object',
  description: "Django REST Framework's validation errors: each bad field with its messages.",
  additionalProperties: { type: 'array', items: { type: 'string' } },
};

function seedSchemaOf(body: SeedErrorBody): Record<string, unknown> {
  if ('session_id' in body && typeof body.session_id === 'string')
    return { $ref: getSchemaPath(SeedFailedTurnDto) };
  if ('error' in body && typeof body.error === 'string') return { $ref: getSchemaPath(SeedErrorDto) };
  if ('detail' in body && typeof body.detail === 'string') return { $ref: getSchemaPath(SeedDetailErrorDto) };
  return DRF_FIELD_ERRORS;
}

/**
 * Documents one error status of a seed-compatible route (plain `application/json`), with the exact
 * bodies it may answer as examples; the schema follows from their shapes (`oneOf` when they differ).
 */
export function ApiSeedError(status: number, description: string, ...bodies: SeedErrorBody[]): ApiDecorator {
  const schemas = [
    ...new Map(bodies.map((b) => [JSON.stringify(seedSchemaOf(b)), seedSchemaOf(b)])).values(),
  ];
  const examples = Object.fromEntries(
    bodies.map((body) => [String(Object.values(body).flat()[0]), { value: body }]),
  );
  return applyDecorators(
    ApiExtraModels(SeedErrorDto, SeedFailedTurnDto, SeedDetailErrorDto),
    ApiResponse({
      status,
      description,
      headers: status === 429 ? RETRY_AFTER : undefined,
      content: {
        'application/json': {
          schema: schemas.length === 1 ? schemas[0] : { oneOf: schemas },
          ...(bodies.length === 1 ? { example: bodies[0] } : { examples }),
        },
      },
    }),
  );
}

/** 401 of a seed route that needs credentials, in DRF's words for the family (`quick-chat` or `sessions-seed`). */
export function ApiSeedAuthRequired(family: 'quick-chat' | 'sessions-seed'): ApiDecorator {
  const invalid =
    family === 'quick-chat'
      ? { detail: 'Invalid token.' }
      : { detail: 'Given token not valid for any token type', code: 'token_not_valid' };
  return ApiSeedError(
    401,
    'No credentials, or a token that is invalid, expired or revoked.',
    { detail: 'Authentication credentials were not provided.' },
    invalid,
  );
}

/** 429 of the seeds' login routes (the shared failed-login limiter), in DRF's throttling words. */
export const ApiSeedLoginThrottled = (): ApiDecorator =>
  ApiSeedError(429, PROBLEMS[429].description, {
    detail: 'Request was throttled. Expected available in 60 seconds.',
  });

/**
 * 502/503/504 of the seed chat routes: the provider failed; the turn is stored, the answer as failed.
 * With `sessionId`, the body names the session too (the quick-chat chat may have created it).
 */
export const ApiSeedProviderErrors = (sessionId?: string): ApiDecorator =>
  applyDecorators(
    ...([502, 503, 504] as const).map((status) =>
      ApiSeedError(status, PROBLEMS[status].description, {
        error: PROBLEMS[status].detail,
        ...(sessionId ? { session_id: sessionId } : {}),
      }),
    ),
  );
