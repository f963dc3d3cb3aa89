import { FakeServer, fakeTokens, type WireFormat } from './fake-server.js';

export type { FakeBehaviour, RecordedRequest, ReplyOptions } from './fake-server.js';

/**
 * A fake OpenAI Chat Completions API on loopback: `POST …/chat/completions` (JSON or SSE).
 * The SDK appends `/chat/completions` to its baseURL, so point it at `baseUrl + '/v1'`.
 */
export class OpenAiFake extends FakeServer<OpenAiRequestBody> {
  constructor() {
    super(openAiWire);
  }
}

export interface OpenAiMessage {
  role: string;
  content: string | { type: string; text?: string }[] | null;
}

/** The parts of a chat completion request the fake reads (the rest is recorded as sent). */
export interface OpenAiRequestBody {
  model?: string;
  messages?: OpenAiMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [field: string]: unknown;
}

const created = 1_700_000_000;

const openAiWire: WireFormat<OpenAiRequestBody> = {
  name: 'fake-openai',

  route(method, path, body) {
    const pathname = path.split('?')[0] ?? '';
    if (method !== 'POST' || !pathname.endsWith('/chat/completions')) return null;
    return { model: body?.model ?? 'unknown', stream: body?.stream === true };
  },

  conversation(body) {
    const messages = body?.messages ?? [];
    const turns = messages.filter((m) => m.role === 'user' || m.role === 'assistant');
    const users = turns.filter((m) => m.role === 'user');
    const system = messages.find((m) => m.role === 'system');
    return {
      lastUserText: textOf(users.at(-1)),
      firstUserText: textOf(users[0]),
      system: textOf(system),
      turns: turns.length,
    };
  },

  completion({ model, body, text }) {
    return {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: usage(body, text),
    };
  },

  streamFrames(pieces, context) {
    const chunk = (choices: unknown[], extra: object = {}) =>
      sse({
        id: 'chatcmpl-fake',
        object: 'chat.completion.chunk',
        created,
        model: context.model,
        choices,
        ...extra,
      });
    const withUsage = context.body?.stream_options?.include_usage === true;
    const chunks = pieces.map((piece, index) =>
      chunk(
        [
          {
            index: 0,
            delta: index === 0 ? { role: 'assistant', content: piece } : { content: piece },
            finish_reason: null,
          },
        ],
        withUsage && context.continuousUsage
          ? { usage: usage(context.body, pieces.slice(0, index + 1).join('')) }
          : {},
      ),
    );
    const tail = [chunk([{ index: 0, delta: {}, finish_reason: 'stop' }])];
    if (withUsage) tail.push(chunk([], { usage: usage(context.body, context.text) }));
    tail.push('data: [DONE]\n\n');
    return { chunks, tail };
  },

  errorBody(status, message) {
    const [type, code, fallback] = errorKind(status);
    return { error: { message: message ?? fallback, type, param: null, code } };
  },
};

function textOf(message: OpenAiMessage | undefined): string {
  return message ? contentText(message.content) : '';
}

function contentText(content: OpenAiMessage['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
}

function usage(body: OpenAiRequestBody | undefined, text: string) {
  const prompt_tokens = fakeTokens(body?.messages);
  const completion_tokens = fakeTokens(text);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

function errorKind(status: number): [type: string, code: string | null, message: string] {
  if (status === 429) return ['requests', 'rate_limit_exceeded', 'Rate limit reached for requests.'];
  if (status === 401) return ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.'];
  if (status === 404) return ['invalid_request_error', 'not_found', 'Not found.'];
  if (status >= 500) return ['server_error', null, 'The server had an error while processing your request.'];
  return ['invalid_request_error', null, 'Invalid request.'];
}
