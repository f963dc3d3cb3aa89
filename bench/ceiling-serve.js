/* global Buffer, process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// What the db and history ceilings share: their JSON answer, and serving until the parent (bench/run.js)
// disconnects, reporting the port over IPC.

export function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** A 500 with the error as text: a ceiling that fails is no ceiling, and the bench reports its non-2xx. */
export const fail = (res) => (error) => {
  res.writeHead(500, { 'content-type': 'text/plain' });
  res.end(String(error));
};

/** Listens on a free port, reports it, and on disconnect or SIGTERM closes, runs `release`, exits. */
export function serveForParent(server, release) {
  server.keepAliveTimeout = 60_000;
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    process.send?.({ ready: true, port: server.address().port });
  });
  const stop = async () => {
    server.closeAllConnections();
    server.close();
    await release().catch(() => undefined);
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
}
