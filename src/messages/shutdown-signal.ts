import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';

/** Aborted when the server begins to shut down, so that provider calls in flight end and are recorded. */
@Injectable()
export class ShutdownSignal implements BeforeApplicationShutdown {
  private readonly controller = new AbortController();

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  beforeApplicationShutdown(): void {
    this.controller.abort(new DOMException('The server is shutting down', 'AbortError'));
  }
}
