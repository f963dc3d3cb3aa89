import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/**
 * One log line per answered request, at info (error for a 5xx): method, URL, client address, status,
 * time taken and the request id (also the `X-Request-Id` header and problem bodies' `request_id`).
 * A Fastify hook rather than pino-http as Nest middleware: that middleware was never matched on Fastify
 * (no request was logged), and it would also run middie and AsyncLocalStorage on every request. Headers
 * are not logged, so neither are credentials. Flat fields, not `req`/`res`: the root logger's pino-http
 * serializers expect Node's request and response objects there. `logger` is asked for at each request:
 * nestjs-pino sets its root logger only when the app initialises.
 */
export function logRequests(fastify: FastifyInstance, logger: () => Logger): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const log = logger();
    const level = reply.statusCode >= 500 ? 'error' : 'info';
    if (log.isLevelEnabled(level)) {
      log[level](
        {
          request_id: request.id,
          method: request.method,
          url: request.url,
          status: reply.statusCode,
          remote_address: request.ip,
          response_ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request completed',
      );
    }
    done();
  });
}
