import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger, PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { AppConfig } from './config/app-config.js';
import {
  leaveStreamedBodiesUnread,
  refuseFormsOnNativeApi,
  useJsonBodyParser,
} from './common/body-parsers.js';
import { answerWrongMethods } from './common/method-not-allowed.js';
import { ProblemDetailsFilter, sendError } from './common/problem-details.filter.js';
import { logRequests } from './common/request-log.js';
import { securityHeaders } from './common/security-headers.js';
import { createValidationPipe } from './common/validation.js';
import { setUpSwagger } from './swagger.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * A client's `X-Request-Id` when it is sane, else a fresh UUID: Fastify's `request.id`, which the request
 * log, the `X-Request-Id` answer header and problem bodies carry.
 */
function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Builds the fully configured application (not yet listening): used by main.ts, the tests and the bench. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.http.trustProxy,
    genReqId: requestIdFor,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Errors the router raises before any handler: a path parameter too long to be any id is a 404
    // (like any unknown id), a malformed URL a 400; both in the route family's error shape.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
      sendError(
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new NotFoundException()
          : new BadRequestException('Malformed URL.'),
        request,
        reply,
      ),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  useJsonBodyParser(app, BODY_LIMIT_BYTES);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.http.corsOrigins,
      credentials: config.http.corsCredentials,
      exposedHeaders: ['x-request-id', 'retry-after'],
    });
  }
  const headers = securityHeaders();
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headers).header('x-request-id', request.id);
    done();
  });
  answerWrongMethods(fastify);
  refuseFormsOnNativeApi(fastify);
  leaveStreamedBodiesUnread(fastify);
  logRequests(fastify, () => PinoLogger.root);
  setUpSwagger(app);
  return app;
}
