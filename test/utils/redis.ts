import { Socket } from 'node:net';

/** The Redis the suites use (TEST_REDIS_URL, else the local one). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** TEST_REDIS_URL with database number `db` instead of its own, so that suites do not share keys. */
export const testRedisUrl = (db: number): string => `${TEST_REDIS_URL.replace(/\/\d*$/, '')}/${db}`;

/** Whether something answers on the Redis URL's port. */
export function redisReachable(url = TEST_REDIS_URL): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1000);
    socket
      .once('connect', () => resolve(true))
      .once('error', () => resolve(false))
      .once('timeout', () => resolve(false));
    socket.connect(Number(port || 6379), hostname, () => socket.end());
  });
}
