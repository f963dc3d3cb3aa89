import { BadRequestException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { errorStyleFor } from './error-style.js';
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
 * The native API takes JSON only, as its OpenAPI document says: a form body there is a 415. The seed
 * routes keep Nest's form parser, because Django accepts forms and their clients may send them.
 */
export function refuseFormsOnNativeApi(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const type = request.headers['content-type']?.split(';', 1)[0].trim().toLowerCase();
    if (type === FORM && errorStyleFor(request.url) === 'problem')
      sendError(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(type), request, reply);
    else done();
  });
}
