import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { lockDataDir } from './data-dir-lock.js';
import { ensureCluster } from './embedded-cluster.js';

/**
 * PostgreSQL's shared buffers. PGlite touches all of them at start-up, so they are resident from the
 * first second: initdb's 128 MB held 100 MiB more than 32 MB (301 against 200 MiB for PGlite alone). The
 * data directory's files are cached by the operating system beyond them.
 */
const SHARED_BUFFERS = '32MB';

/**
 * PostgreSQL compiled to WASM (PGlite), kept in a data directory and served in-process on a private
 * Unix socket, so that TypeORM talks to it through its ordinary `pg` driver. PGlite has one session:
 * the socket server accepts one connection and the pool must be of one, so transactions never interleave.
 * A lock file keeps a second process off the same data directory.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly socketDir: string,
    private readonly releaseLock: () => Promise<void>,
  ) {}

  /** Directory holding the socket: `pg` connects to `<host>/.s.PGSQL.<port>`. */
  get host(): string {
    return this.socketDir;
  }
  readonly port = 5432;

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    mkdirSync(dataDir, { recursive: true });
    const releaseLock = await lockDataDir(dataDir);
    const socketDir = mkdtempSync(join(tmpdir(), 'chatbot-pg-'));
    try {
      const pgdata = join(dataDir, 'pgdata');
      await ensureCluster(pgdata);
      const db = await PGlite.create(pgdata, {
        startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`],
      });
      const server = new PGLiteSocketServer({
        db,
        path: join(socketDir, '.s.PGSQL.5432'),
        maxConnections: 1,
      });
      await server.start();
      return new EmbeddedPostgres(db, server, socketDir, releaseLock);
    } catch (error) {
      rmSync(socketDir, { recursive: true, force: true });
      await releaseLock();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    rmSync(this.socketDir, { recursive: true, force: true });
    await this.releaseLock();
  }
}
