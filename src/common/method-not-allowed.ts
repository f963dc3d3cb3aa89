import { HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { sendError } from './problem-details.filter.js';
import type { StyledException } from './exceptions.js';

// OPTIONS is left out: CORS answers it on every path.
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** 405 with the methods the path does answer, in DRF's words (its seed clients see the same body). */
export class MethodNotAllowedException extends HttpException implements StyledException {
  constructor(
    method: string,
    private readonly allowed: string[],
  ) {
    super(`Method "${method}" not allowed.`, HttpStatus.METHOD_NOT_ALLOWED);
  }

  headers(): Record<string, string> {
    return { allow: this.allowed.join(', ') };
  }
}

/**
 * A request that matches no route but whose path another method serves is a 405 with `Allow`, not a 404.
 * Runs only for requests the router sent to the not-found handler, so it costs the others nothing.
 */
export function answerWrongMethods(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!request.is404) {
      done();
      return;
    }
    const url = request.url.split('?', 1)[0];
    const allowed = METHODS.filter((method) => fastify.findRoute({ method, url }) !== null);
    if (allowed.length === 0) done();
    else sendError(new MethodNotAllowedException(request.method, allowed), request, reply);
  });
}
