import 'reflect-metadata';
import cluster from 'node:cluster';
import { type Logger, pino } from 'pino';
import { AppConfig, ConfigValidationError, loadConfig } from './config/app-config.js';
import { DataDirInUseError } from './database/data-dir-lock.js';
import { withoutQueryValues } from './common/log-serializers.js';
import { announceReady, WorkerSupervisor } from './server-workers.js';

/** What fails outside the application (start-up, shutdown) is logged as the application logs: pino at LOG_LEVEL. */
function processLogger(level: string): Logger {
  return pino({
    level,
    serializers: { err: (error: Error) => withoutQueryValues(pino.stdSerializers.err(error)) },
  });
}
let log = processLogger('info'); // until the configuration is read

async function serve(config: AppConfig): Promise<void> {
  // Imported here, not above: the primary of HTTP_WORKERS serves nothing, and without the application's
  // modules it takes about 100 MB less memory (65 MB instead of 163 here).
  const { createApp } = await import('./bootstrap.js');
  const app = await createApp(config);
  await app.listen(config.http.port, config.http.host);
  if (cluster.isPrimary) announceReady();
  // Graceful shutdown: stop accepting, end open streams, wait for turns in flight, close the database.
  // Handled here rather than by enableShutdownHooks(), which re-raises the signal after closing and so
  // races the process's own exit (the exit status would be 0 or "killed by SIGTERM" at random).
  // Once only: a worker of HTTP_WORKERS gets SIGINT from the terminal and SIGTERM from its primary.
  // Bounded: closing the pool waits for each connection's goodbye, which a hung database never sends.
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    setTimeout(() => {
      console.error(`Shutdown took over ${config.http.shutdownTimeoutMs} ms (SHUTDOWN_TIMEOUT_MS); exiting.`);
      process.exit(1);
    }, config.http.shutdownTimeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

async function main(): Promise<void> {
  const config = loadConfig();
  log = processLogger(config.logLevel);
  if (config.http.workers > 1 && cluster.isPrimary) {
    new WorkerSupervisor(config.http.workers, config.logLevel).start();
    return;
  }
  await serve(config);
}

main().catch((error: unknown) => {
  // a bad setting or a data dir in use: the operator's one line, not a log line
  if (error instanceof ConfigValidationError || error instanceof DataDirInUseError)
    console.error(error.message);
  else log.fatal({ err: error }, 'start-up failed');
  process.exit(1);
});
