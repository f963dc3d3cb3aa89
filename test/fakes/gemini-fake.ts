import { FakeServer, fakeTokens, type ReplyContext, type WireFormat } from './fake-server.js';

export type { FakeBehaviour, RecordedRequest, ReplyOptions } from './fake-server.js';

/**
 * A fake Gemini API on loopback: `POST /v1beta/models/{model}:generateContent` (JSON) and
 * `…:streamGenerateContent?alt=sse` (SSE). The SDK builds `${baseUrl}/${apiVersion}/models/…`,
 * so point its `baseUrl` at this server's `baseUrl` as is.
 */
export class GeminiFake extends FakeServer<GeminiRequestBody> {
  constructor() {
    super(geminiWire);
  }
}

export interface GeminiContent {
  role?: string;
  parts?: { text?: string }[];
}

/** The parts of a generateContent request the fake reads (the rest is recorded as sent). */
export interface GeminiRequestBody {
  contents?: GeminiContent[];
  systemInstruction?: GeminiContent;
  [field: string]: unknown;
}

const ROUTE = /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

const geminiWire: WireFormat<GeminiRequestBody> = {
  name: 'fake-gemini',

  route(method, path) {
    const [pathname = '', query = ''] = path.split('?');
    const match = ROUTE.exec(pathname);
    if (method !== 'POST' || !match) return null;
    const stream = match[3] === 'streamGenerateContent';
    if (stream && new URLSearchParams(query).get('alt') !== 'sse') return null;
    return { model: match[2] ?? 'unknown', stream };
  },

  conversation(body) {
    const turns = (body?.contents ?? []).filter((c) => c.role === 'user' || c.role === 'model');
    const users = turns.filter((c) => c.role === 'user');
    return {
      lastUserText: partsText(users.at(-1)),
      firstUserText: partsText(users[0]),
      system: partsText(body?.systemInstruction),
      turns: turns.length,
    };
  },

  completion(context) {
    return response(context.text, context, true);
  },

  streamFrames(pieces, context) {
    const chunks = pieces.map(
      (piece, index) =>
        `data: ${JSON.stringify(response(piece, context, index === pieces.length - 1))}\r\n\r\n`,
    );
    return { chunks, tail: [] };
  },

  errorBody(status, message) {
    const [statusName, fallback] = errorKind(status);
    return { error: { code: status, message: message ?? fallback, status: statusName } };
  },
};

/** A GenerateContentResponse; the last one carries the finish reason and usage. */
function response(
  text: string,
  { model, body, text: fullText }: ReplyContext<GeminiRequestBody>,
  last: boolean,
) {
  return {
    candidates: [
      { content: { role: 'model', parts: [{ text }] }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 },
    ],
    ...(last ? { usageMetadata: usageMetadata(body, fullText) } : {}),
    modelVersion: model,
  };
}

function usageMetadata(body: GeminiRequestBody | undefined, text: string) {
  const promptTokenCount = fakeTokens([body?.systemInstruction, body?.contents]);
  const candidatesTokenCount = fakeTokens(text);
  return { promptTokenCount, candidatesTokenCount, totalTokenCount: promptTokenCount + candidatesTokenCount };
}

function partsText(content: GeminiContent | undefined): string {
  return (content?.parts ?? []).map((part) => part.text ?? '').join('');
}

function errorKind(status: number): [status: string, message: string] {
  if (status === 429) return ['RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'];
  if (status === 400) return ['INVALID_ARGUMENT', 'Request contains an invalid argument.'];
  if (status === 401 || status === 403)
    return ['PERMISSION_DENIED', 'API key not valid. Please pass a valid API key.'];
  if (status === 404) return ['NOT_FOUND', 'Requested entity was not found.'];
  if (status === 503) return ['UNAVAILABLE', 'The model is overloaded. Please try again later.'];
  if (status >= 500) return ['INTERNAL', 'An internal error has occurred.'];
  return ['UNKNOWN', 'Unknown error.'];
}
