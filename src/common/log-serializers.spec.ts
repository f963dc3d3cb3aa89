import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { QueryFailedError } from 'typeorm';
import { withoutQueryValues } from './log-serializers.js';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g';

/** A failed insert as `pg` and TypeORM report it: the values in `parameters` and in the server's `detail`. */
function failedInsert(): QueryFailedError {
  const driverError = Object.assign(new Error('null value in column "role" violates not-null constraint'), {
    code: '23502',
    detail: `Failing row contains (7, ada, null, ${HASH}, null).`,
  });
  return new QueryFailedError(
    'INSERT INTO "users"("username", "password_hash") VALUES ($1, $2)',
    ['ada', HASH],
    driverError,
  );
}

describe("withoutQueryValues (the logs' error serializer)", () => {
  it('logs a failed query with its statement and code, without its parameters or the detail quoting them', () => {
    let output = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    const logger = pino(
      { serializers: { err: (error: Error) => withoutQueryValues(pino.stdSerializers.err(error)) } },
      sink,
    );
    logger.error({ err: failedInsert() }, 'request failed');

    expect(output).not.toContain('argon2id');
    expect(output).not.toContain('Failing row');
    const { err } = JSON.parse(output) as { err: Record<string, unknown> };
    expect(err).toMatchObject({
      type: 'QueryFailedError',
      message: 'null value in column "role" violates not-null constraint',
      code: '23502',
      query: expect.stringMatching(/^INSERT INTO "users"/),
    });
    expect(err).not.toHaveProperty('parameters');
  });
});
