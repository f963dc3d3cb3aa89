import { FakeServer, fakeTokens, type ReplyContext, type WireFormat } from './fake-server.js';

export type { FakeBehaviour, RecordedRequest, ReplyOptions } from './fake-server.js';

/**
 * A fake Anthropic Messages API on loopback, written from its public format: `POST /v1/messages`, a
 * `Message` object as JSON, or with `"stream": true` the SSE events `message_start`,
 * `content_block_start`, `ping`, `content_block_delta` (one per piece), `content_block_stop`,
 * `message_delta` (stop reason and output tokens) and `message_stop`. Errors are
 * `{type: "error", error: {type, message}}` with the API's status (529 `overloaded_error` too), and
 * `errorMidStream` sends an `error` event inside a stream. Like the API, it refuses a request without a
 * key (`x-api-key`, or `Authorization: Bearer`, which the SDK's 1.x sends) or without `anthropic-version`.
 * The SDK appends `/v1/messages` to its baseURL, so point it at `baseUrl` as is.
 */
export class AnthropicFake extends FakeServer<AnthropicRequestBody> {
  constructor() {
    super(anthropicWire);
  }
}

export interface AnthropicTextBlock {
  type: string;
  text?: string;
}

export interface AnthropicMessage {
  role: string;
  content: string | AnthropicTextBlock[];
}

/** The parts of a Messages API request the fake reads (the rest is recorded as sent). */
export interface AnthropicRequestBody {
  model?: string;
  max_tokens?: number;
  system?: string | AnthropicTextBlock[];
  messages?: AnthropicMessage[];
  stream?: boolean;
  [field: string]: unknown;
}

const MESSAGE_ID = 'msg_fake01';

const anthropicWire: WireFormat<AnthropicRequestBody> = {
  name: 'fake-anthropic',

  refuse(headers) {
    const bearer = /^Bearer\s+\S+/i.test(headers.authorization ?? '');
    if (!headers['x-api-key'] && !bearer) return { status: 401, message: 'x-api-key header is required' };
    if (!headers['anthropic-version'])
      return { status: 400, message: 'anthropic-version: header is required' };
    return undefined;
  },

  route(method, path, body) {
    if (method !== 'POST' || (path.split('?')[0] ?? '') !== '/v1/messages') return null;
    return { model: body?.model ?? 'unknown', stream: body?.stream === true };
  },

  conversation(body) {
    const turns = (body?.messages ?? []).filter((m) => m.role === 'user' || m.role === 'assistant');
    const users = turns.filter((m) => m.role === 'user');
    return {
      lastUserText: contentText(users.at(-1)?.content),
      firstUserText: contentText(users[0]?.content),
      system: contentText(body?.system),
      turns: turns.length,
    };
  },

  completion(context) {
    return {
      ...message(context, [{ type: 'text', text: context.text }]),
      stop_reason: 'end_turn',
      usage: { ...inputUsage(context.body), output_tokens: fakeTokens(context.text) },
    };
  },

  streamFrames(pieces, context) {
    const preamble =
      sse('message_start', {
        type: 'message_start',
        message: { ...message(context, []), usage: { ...inputUsage(context.body), output_tokens: 1 } },
      }) +
      sse('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }) +
      sse('ping', { type: 'ping' });
    const chunks = pieces.map(
      (piece, index) =>
        (index === 0 ? preamble : '') +
        sse('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: piece },
        }),
    );
    const tail = [
      sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: fakeTokens(context.text) },
      }),
      sse('message_stop', { type: 'message_stop' }),
    ];
    return { chunks, tail };
  },

  errorBody(status, message) {
    const [type, fallback] = errorKind(status);
    return { type: 'error', error: { type, message: message ?? fallback }, request_id: 'req_fake01' };
  },

  streamError(errorType, message) {
    return sse('error', { type: 'error', error: { type: errorType, message: message ?? 'Overloaded' } });
  },
};

/** A `Message` object without its stop reason and usage. */
function message({ model }: ReplyContext<AnthropicRequestBody>, content: AnthropicTextBlock[]) {
  return {
    id: MESSAGE_ID,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: null,
    stop_sequence: null,
  };
}

function inputUsage(body: AnthropicRequestBody | undefined) {
  return {
    input_tokens: fakeTokens([body?.system, body?.messages]),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function contentText(content: string | AnthropicTextBlock[] | undefined): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((block) => block.text ?? '').join('');
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function errorKind(status: number): [type: string, message: string] {
  if (status === 400) return ['invalid_request_error', 'There was an issue with the request.'];
  if (status === 401) return ['authentication_error', 'invalid x-api-key'];
  if (status === 403)
    return ['permission_error', 'Your API key does not have permission to use this resource.'];
  if (status === 404) return ['not_found_error', 'The requested resource could not be found.'];
  if (status === 413) return ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'];
  if (status === 429) return ['rate_limit_error', 'Number of request tokens has exceeded your rate limit.'];
  if (status === 529) return ['overloaded_error', 'Overloaded'];
  if (status >= 500) return ['api_error', 'Internal server error'];
  return ['invalid_request_error', 'Invalid request.'];
}
