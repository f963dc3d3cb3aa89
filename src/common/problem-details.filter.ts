import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  DatabaseUnavailableException,
  describeDatabaseError,
  isDatabaseUnavailable,
} from '../database/database-errors.js';
import { errorStyleFor } from './error-style.js';
import { FieldError, RequestValidationException, StyledException } from './exceptions.js';

interface Rendered {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/**
 * The one exception filter: every error, Nest's or Fastify's (bad JSON, body too large, wrong content
 * type, unknown route), becomes RFC 9457 problem details on the native API, or the DRF-style body its
 * seed's clients expect on the seed routes. Internal errors are logged with their stack and answered
 * with a bare 500: never a stack trace, SQL text or secret in a body.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}

const logger = new Logger('Exceptions');

/**
 * Renders any error as its route family expects; also used for Fastify's router errors (bootstrap.ts).
 * A database that is away or too slow is a 503 (logged without the query's parameters, which may hold
 * secrets), not an internal error.
 */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const unavailable = isDatabaseUnavailable(error);
  const exception = unavailable ? new DatabaseUnavailableException() : error;
  const status = statusOf(exception);
  if (unavailable) {
    const reason = describeDatabaseError(error);
    logger.warn({ reason, request_id: request.id, path: request.url }, 'database unavailable');
  } else if (status >= 500) {
    logger.error({ err: exception, request_id: request.id, path: request.url }, 'request failed');
  }
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.end();
    return;
  }
  const rendered = render(exception, status, request);
  void reply
    .status(rendered.status)
    .headers({ 'x-request-id': request.id, ...rendered.headers })
    .type(rendered.contentType)
    .send(rendered.body);
}

function statusOf(exception: unknown): number {
  if (exception instanceof HttpException) return exception.getStatus();
  const code = (exception as { statusCode?: unknown } | null)?.statusCode;
  // Fastify's own errors (FST_ERR_CTP_*) carry a 4xx statusCode; anything else is ours and internal.
  return typeof code === 'number' && code >= 400 && code < 500 ? code : HttpStatus.INTERNAL_SERVER_ERROR;
}

function clientMessage(exception: unknown, status: number): string {
  const isPublic = (exception as StyledException | null)?.publicDetail === true;
  if (status >= 500 && !isPublic) return 'An unexpected error occurred.';
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    if (typeof response === 'string') return response;
    const message = (response as { message?: unknown }).message;
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.join('; ');
    return exception.message;
  }
  return fastifyMessage(exception as { code?: string; message?: string }, status);
}

function fastifyMessage(error: { code?: string; message?: string }, status: number): string {
  switch (error.code ?? '') {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is not valid JSON.';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is larger than 1 MiB.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported content type; send application/json.';
    default:
      return STATUS_CODES[status] ?? 'Bad request';
  }
}

function render(exception: unknown, status: number, request: FastifyRequest): Rendered {
  const styled =
    exception instanceof HttpException ? (exception as HttpException & StyledException) : undefined;
  const headers = styled?.headers?.() ?? {};
  const style = errorStyleFor(request.url);
  if (style === 'openai') return renderOpenAi(exception, status, headers);
  const exact = styled?.bodyFor?.(style);
  if (exact) return { status, contentType: 'application/json', body: exact, headers };
  const fieldErrors = exception instanceof RequestValidationException ? exception.fieldErrors : undefined;
  const message = clientMessage(exception, status);
  if (style !== 'problem') {
    const body = fieldErrors ? drfFieldErrors(fieldErrors) : { detail: message };
    return { status, contentType: 'application/json', body, headers };
  }
  const own = styled?.problemType?.();
  const body: Record<string, unknown> = {
    type: own?.type ?? 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: message,
    ...own?.members,
  };
  if (exception instanceof RequestValidationException) body.errors = exception.errorItems();
  body.request_id = request.id;
  return { status, contentType: 'application/problem+json', body, headers };
}

/** OpenAI's error type for a status, as its API and SDKs name them. */
function openAiErrorType(status: number): string {
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  // 401 (invalid_api_key) and 404 (model_not_found) are invalid_request_error in OpenAI's API too
  return status >= 500 ? 'api_error' : 'invalid_request_error';
}

/**
 * The gateway's errors in OpenAI's shape, `{error: {message, type, param, code}}`, which its SDKs parse:
 * `param` names the first field at fault, `code` says why when an exception gives a reason.
 */
function renderOpenAi(exception: unknown, status: number, headers: Record<string, string>): Rendered {
  const fieldErrors = exception instanceof RequestValidationException ? exception.fieldErrors : undefined;
  const message = fieldErrors
    ? fieldErrors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ')
    : clientMessage(exception, status);
  const code = (exception as StyledException | null)?.openAiCode;
  const body = {
    error: {
      message,
      type: openAiErrorType(status),
      param: fieldErrors?.[0]?.field || null,
      code: typeof code === 'string' ? code : null,
    },
  };
  return { status, contentType: 'application/json', body, headers };
}

/** Django REST Framework's validation shape: `{"field": ["message", ...]}`. */
export function drfFieldErrors(errors: FieldError[]): Record<string, string[]> {
  const body: Record<string, string[]> = {};
  for (const { field, message } of errors) (body[field || 'non_field_errors'] ??= []).push(message);
  return body;
}
