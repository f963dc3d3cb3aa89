/* global Buffer, process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// The first ceiling: a bare node:http server answering a constant JSON body. Run as a child process by
// bench/run.js (forked: it reports its port over IPC and exits when the parent disconnects).
import { createServer } from 'node:http';

const BODY = JSON.stringify({
  data: [{ id: '00000000-0000-4000-8000-000000000000', title: 'ceiling' }],
  next_cursor: null,
});

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(BODY),
    });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 60_000;
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  process.send?.({ ready: true, port: server.address().port });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
