import { createServer, type AddressInfo } from 'node:net';
import pg, { DatabaseError } from 'pg';
import { QueryFailedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import {
  DatabaseUnavailableException,
  describeDatabaseError,
  isDatabaseUnavailable,
} from './database-errors.js';

function serverError(code: string, severity = 'ERROR'): DatabaseError {
  const error = new DatabaseError(`server said ${code}`, 0, 'error');
  error.code = code;
  error.severity = severity;
  return error;
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('isDatabaseUnavailable', () => {
  it('is true for a server that refuses connections, as pg reports it', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: await closedPort() });
    const error: unknown = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('is true for a pool that could not connect or serve in time', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: await closedPort(), connectionTimeoutMillis: 200 });
    const error: unknown = await pool.query('SELECT 1').then(
      () => undefined,
      (e: unknown) => e,
    );
    await pool.end();
    expect(isDatabaseUnavailable(error)).toBe(true);
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
      'timeout exceeded when trying to connect',
      'Query read timeout',
      'Client has encountered a connection error and is not queryable',
      'Query runner already released. Cannot run queries anymore.',
      new QueryRunnerProviderAlreadyReleasedError().message,
    ])
      expect({ message, unavailable: isDatabaseUnavailable(new Error(message)) }).toEqual({
        message,
        unavailable: true,
      });
  });

  it('is true for the server’s own connection and shutdown errors, wrapped by TypeORM or not', () => {
    for (const code of ['57P01', '57P03', '08006', '57014', '53300']) {
      expect({ code, unavailable: isDatabaseUnavailable(serverError(code, 'FATAL')) }).toEqual({
        code,
        unavailable: true,
      });
    }
    const wrapped = new QueryFailedError('SELECT 1', [], serverError('57P01', 'FATAL'));
    expect(isDatabaseUnavailable(wrapped)).toBe(true);
    expect(isDatabaseUnavailable(new DatabaseUnavailableException())).toBe(true);
  });

  it('is false for errors of the statement or the program', () => {
    expect(isDatabaseUnavailable(serverError('23505'))).toBe(false); // unique violation
    expect(isDatabaseUnavailable(serverError('22P02'))).toBe(false); // invalid text representation
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT', [], serverError('42P01')))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable('Connection terminated')).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

describe('describeDatabaseError', () => {
  it('names the driver’s error and code, never the query or its parameters', () => {
    const wrapped = new QueryFailedError(
      'INSERT INTO users (password_hash) VALUES ($1)',
      ['$argon2id$v=19$secret'],
      serverError('57P01', 'FATAL'),
    );
    const described = describeDatabaseError(wrapped);
    expect(described).toEqual({ name: 'error', code: '57P01', message: 'server said 57P01' });
    expect(JSON.stringify(described)).not.toMatch(/argon2|INSERT/);
  });
});
