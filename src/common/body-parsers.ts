import { BadRequestException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { errorStyleFor, takesJsonOnly } from './error-style.js';
import { jsonLimitProblem } from './json-limits.js';
import { sendError } from './problem-details.filter.js';

type ParserDone = (error: Error | null, body?: unknown) => void;
type CallbackParser = (request: FastifyRequest, body: Buffer, done: ParserDone) => void;

/**
 * The JSON body parser: Fastify's own (prototype-poisoning checks, its error codes), once the text is
 * within JSON_LIMITS. An empty body is no body, as Django REST Framework reads it:
 * routes that need none (DELETE, logout) accept it, the others name their missing fields.
 */
export function useJsonBodyParser(app: NestFastifyApplication, bodyLimit: number): void {
  const parseJson = app
    .getHttpAdapter()
    .getInstance()
    .getDefaultJsonParser('error', 'error') as unknown as CallbackParser;
  const parser: CallbackParser = (request, body, done) => {
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    const problem = jsonLimitProblem(body);
    if (problem) done(new BadRequestException(problem));
    else parseJson(request, body, done);
  };
  app.useBodyParser('application/json', { bodyLimit }, parser);
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * The native API and the gateway take JSON only, as the OpenAPI document says: a form body there is a 415. The seed
 * routes keep Nest's form parser, because Django accepts forms and their clients may send them.
 */
export function refuseFormsOnNativeApi(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const type = request.headers['content-type']?.split(';', 1)[0].trim().toLowerCase();
    // The gateway's clients (OpenAI's SDKs) send JSON only: any other body there is a 415 too.
    const refused =
      type === FORM
        ? takesJsonOnly(request.url)
        : type !== undefined && type !== 'application/json' && errorStyleFor(request.url) === 'openai';
    if (refused)
      sendError(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(type), request, reply);
    else done();
  });
}

/** The route config (Nest's `@RouteConfig(STREAMED_BODY)`) of a route that reads its request body itself, as a stream. */
export const STREAMED_BODY = { streamedBody: true };

/** Given to a streamed-body request in place of its content type, so that no body parser reads it. */
const UNPARSED = 'application/x-unparsed-body';
const originalTypes = new WeakMap<FastifyRequest, string>();

/**
 * Leaves the body of STREAMED_BODY routes unread (an import file of 50 MiB must not be buffered, nor
 * meet the 1 MiB limit of parsed bodies): Fastify picks a body's parser by content type, for every route
 * alike, so such a request's content type points at a parser that reads nothing until it is restored.
 * The route reads `request.raw` and finds the type with {@link contentTypeOf}.
 */
export function leaveStreamedBodiesUnread(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(UNPARSED, (request, _payload, done) => {
    request.headers['content-type'] = originalTypes.get(request);
    done(null, undefined);
  });
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const config = request.routeOptions.config as { streamedBody?: boolean };
    const type = request.headers['content-type'];
    if (config.streamedBody && type !== undefined) {
      originalTypes.set(request, type);
      request.headers['content-type'] = UNPARSED;
    }
    done(null, payload);
  });
}

/** A request's content type, as the client sent it. */
export const contentTypeOf = (request: FastifyRequest): string | undefined =>
  originalTypes.get(request) ?? request.headers['content-type'];
