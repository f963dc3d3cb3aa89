import { Agent, request } from 'undici';

/** Statuses whose responses have no body (fetch's Response refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i;

/**
 * A JSON response already read: the SDK reads these whole with `text()`, and a Response over the body's
 * Node stream (a web ReadableStream, pulled chunk by chunk) cost ~35 µs of CPU more per call. `body` is
 * null; `text()`, `json()` and `arrayBuffer()` answer from the text read.
 */
class ReadJsonResponse extends Response {
  override readonly text = (): Promise<string> => Promise.resolve(this.bodyText);
  // an executor that throws rejects: bad JSON is a rejection, as with fetch's own Response
  override readonly json = (): Promise<unknown> =>
    new Promise((resolve) => resolve(JSON.parse(this.bodyText)));
  override readonly arrayBuffer = (): Promise<ArrayBuffer> =>
    Promise.resolve(new TextEncoder().encode(this.bodyText).buffer);

  constructor(
    private readonly bodyText: string,
    init: ResponseInit,
  ) {
    super(null, init);
  }
}

/**
 * A `fetch` for the OpenAI SDK on undici's `request` API: the same HTTP client as Node's own fetch, minus
 * the WHATWG request machinery, which cost the SDK about 240 µs of CPU per call here (half its total).
 * Bodies other than strings and bytes (the SDK's file uploads) go to the global fetch; redirects are
 * not followed (the OpenAI API and compatible servers answer where they are asked).
 */
export function createUndiciFetch(agent: Agent = new Agent({ keepAliveTimeout: 30_000 })): typeof fetch {
  return async (input, init = {}) => {
    const { body } = init;
    if (
      input instanceof Request ||
      !(body == null || typeof body === 'string' || body instanceof Uint8Array)
    ) {
      return fetch(input, init);
    }
    const response = await request(String(input), {
      method: (init.method ?? 'GET') as 'GET',
      headers: init.headers as Iterable<[string, string]> | Record<string, string> | undefined,
      body: body ?? undefined,
      signal: init.signal ?? undefined,
      dispatcher: agent,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const hasBody = init.method !== 'HEAD' && !NULL_BODY_STATUSES.has(response.statusCode);
    if (!hasBody) response.body.resume();
    const responseInit = { status: response.statusCode, headers };
    if (hasBody && JSON_MEDIA_TYPE.test(headers.get('content-type') ?? '')) {
      return new ReadJsonResponse(await response.body.text(), responseInit);
    }
    // Response reads an async iterable (the Node stream) itself, and cancelling it destroys the stream;
    // Readable.toWeb on Node 20 throws "Controller is already closed" when the SDK cancels a body early.
    return new Response(hasBody ? response.body : null, responseInit);
  };
}
