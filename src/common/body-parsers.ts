import { BadRequestException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { jsonLimitProblem } from './json-limits.js';

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
