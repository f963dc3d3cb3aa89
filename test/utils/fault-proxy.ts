import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * What the proxy does with its connections:
 * - `forward`: passes bytes both ways (a healthy server);
 * - `down`: resets every open connection and each new one at once (a server that is stopped or restarting);
 * - `stall`: accepts connections but passes nothing either way, open ones included, until switched back
 *   to `forward`, when what was held flows on (a SIGSTOPped server, then SIGCONT).
 */
export type FaultMode = 'forward' | 'down' | 'stall';

interface Link {
  client: Socket;
  upstream: Socket;
}

/**
 * A loopback TCP proxy in front of a server (e.g. PostgreSQL at 127.0.0.1:5432) that a test switches
 * between forwarding, refusing and stalling, so that an app pointed at it meets database faults
 * without the shared server being touched.
 *
 * ```ts
 * const proxy = await FaultProxy.start(5432);
 * // start the app with the database URL's port set to proxy.port
 * proxy.setMode('down');  // …requests answer 503…
 * proxy.setMode('forward');
 * await proxy.stop();
 * ```
 */
export class FaultProxy {
  private mode: FaultMode = 'forward';
  private readonly links = new Set<Link>();

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server, { host: targetHost, port: targetPort });
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Connections currently open through the proxy. */
  get openConnections(): number {
    return this.links.size;
  }

  setMode(mode: FaultMode): void {
    this.mode = mode;
    for (const link of this.links) {
      if (mode === 'down') this.drop(link);
      else this.flow(link, mode === 'forward');
    }
  }

  async stop(): Promise<void> {
    for (const link of this.links) this.drop(link);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection(this.target);
    upstream.on('error', () => undefined);
    const link: Link = { client, upstream };
    this.links.add(link);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      if (this.links.delete(link)) this.drop(link);
    };
    client.once('close', close);
    upstream.once('close', close);
    this.flow(link, this.mode === 'forward');
  }

  /** Paused sockets read nothing, so each side's bytes wait in the kernel, as with a stopped process. */
  private flow(link: Link, on: boolean): void {
    for (const socket of [link.client, link.upstream]) {
      if (on) socket.resume();
      else socket.pause();
    }
  }

  private drop(link: Link): void {
    this.links.delete(link);
    link.client.resetAndDestroy();
    link.upstream.destroy();
  }
}
