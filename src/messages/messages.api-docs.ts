import { applyDecorators } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiResponse } from '@nestjs/swagger';
import { ApiSeedError, type ProblemResponse, type SeedErrorBody } from '../common/api-errors.decorator.js';
import { ChatTurnDto } from './dto/message.dto.js';
import { IDEMPOTENCY_KEY_IN_USE, IDEMPOTENCY_KEY_INVALID } from './idempotency.service.js';

const SESSION = '5b1f7c8e-2d4a-4f6b-9e3c-8a7d6c5b4a39';
const QUESTION = '0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f';
const ANSWER = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

const event = (id: number, name: string, data: unknown): string =>
  `id: ${id}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

const message = (
  id: string,
  parentId: string | null,
  role: string,
  content: string,
  more: Record<string, unknown> = {},
): unknown => ({
  id,
  session_id: SESSION,
  parent_id: parentId,
  sibling_ids: [id],
  sibling_index: 0,
  sibling_count: 1,
  role,
  content,
  status: 'complete',
  provider: null,
  model: null,
  usage: null,
  error: null,
  created_at: '2025-01-31T09:30:00.000Z',
  ...more,
});

/** A whole stream's events as the server writes them, for the document's examples. */
const STREAM_EVENTS = [
  event(1, 'message.created', {
    ...(message(QUESTION, null, 'user', 'Hello!') as object),
    assistant_message_id: ANSWER,
  }),
  event(2, 'delta', { message_id: ANSWER, text: 'Hello! How can ' }),
  event(3, 'delta', { message_id: ANSWER, text: 'I help you today?' }),
  event(
    4,
    'message.completed',
    message(ANSWER, QUESTION, 'assistant', 'Hello! How can I help you today?', {
      provider: 'openai',
      model: 'gpt-4o',
      usage: { prompt_tokens: 12, completion_tokens: 9 },
      created_at: '2025-01-31T09:30:01.000Z',
    }),
  ),
];
const STREAM_EXAMPLE = STREAM_EVENTS.join('');
/** A resume after `Last-Event-ID: 2`. */
const RESUME_EXAMPLE = STREAM_EVENTS.slice(2).join('');

const STREAM_DESCRIPTION = [
  'With `Accept: text/event-stream`: the answer as Server-Sent Events, each with an `id:` that increases',
  'within the answer (from 1), the one to give as `Last-Event-ID` when resuming.',
  '',
  '- `message.created`: the stored user message (a message object), with `assistant_message_id`: the id',
  '  of the answer, to resume (`GET …/messages/{assistant_message_id}/stream`) or stop it (`POST …/stop`).',
  '- `delta`: `{"message_id", "text"}`, a chunk of the answer; one or more.',
  '- `message.completed`: the stored assistant message, with `usage`; the last event. After a stop, the',
  '  answer with `status: "stopped"` and its partial text.',
  '- `error`: instead of `message.completed` when the provider fails: problem details',
  '  (`type, title, status, detail, message_id, request_id`), status 502, 503 or 504;',
  '  the answer is stored with `status: "failed"`.',
  '',
  'A comment line (`: heartbeat`) is sent every 15 s. If the client disconnects, generation goes on',
  'and the answer is stored all the same: resume it with `GET …/messages/{assistant_message_id}/stream`',
  'and `Last-Event-ID`. Errors found before the stream opens (400, 401, 404) are ordinary',
  'problem-details responses.',
].join('\n');

/** The two success answers of `POST /api/v1/chat-sessions/{id}/messages`: JSON 201, or an SSE stream 200. */
export const ApiChatTurnResponses = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiCreatedResponse({
      type: ChatTurnDto,
      description: 'Without `Accept: text/event-stream`: the user message and the answer, both stored.',
    }),
    ApiResponse({
      status: 200,
      description: STREAM_DESCRIPTION,
      content: { 'text/event-stream': { schema: { type: 'string', example: STREAM_EXAMPLE } } },
    }),
  );

/** The answer of `GET …/messages/{messageId}/stream`. */
export const ApiResumeResponses = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiHeader({
      name: 'Last-Event-ID',
      required: false,
      description:
        'The `id:` of the last event the client has; the events after it are sent. Default 0: all of them.',
    }),
    ApiResponse({
      status: 200,
      description: [
        'The events of the answer after `Last-Event-ID`, with their original ids, each sent once, then the',
        'live ones to its end: `message.created`, `delta`, then `message.completed` or `error`, as the',
        'POST that started it sends them. The deltas received over all connections make the stored answer.',
        'A finished answer whose events are no longer kept gets its final event at once: `message.completed`',
        '(complete or stopped) or `error` (failed; `interrupted` when its server went away before it ended:',
        "regenerate it). Another user's message, or a question, is a 404.",
      ].join('\n'),
      content: { 'text/event-stream': { schema: { type: 'string', example: RESUME_EXAMPLE } } },
    }),
  );

/** `Idempotency-Key` on a turn-creating POST; `replay` says how a key used already answers. */
const ApiIdempotencyKeyHeader = (replay: string): MethodDecorator & ClassDecorator =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: [
      'Any 1–255 printable ASCII characters, unique per intended turn (a UUID). The same key from the same',
      `user within 24 hours answers with the turn it created instead of creating another: ${replay}`,
      'While the first request is still preparing its turn, 409.',
    ].join(' '),
  });

/** The headers of a turn-creating POST besides `Accept`. */
export const ApiTurnHeaders = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiIdempotencyKeyHeader(
      'as JSON, the stored turn (once its answer has finished); as a stream, a resume of it from `Last-Event-ID`.',
    ),
    ApiHeader({
      name: 'Last-Event-ID',
      required: false,
      description:
        'Only with `Idempotency-Key` (a reconnecting client re-sending its POST): resume from after this event. ' +
        'Without a key it is a 400 that points to `GET …/messages/{messageId}/stream`.',
    }),
  );

/** `Idempotency-Key` on a seed route's turn-creating POST, and its 409 in the seed's shape. */
export const ApiSeedIdempotencyKey = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiIdempotencyKeyHeader(
      "the stored turn (once its answer has finished), with this route's status and body; nothing is stored or asked again.",
    ),
    ApiSeedError(409, 'A request with this `Idempotency-Key` is still preparing its turn; retry shortly.', {
      detail: IDEMPOTENCY_KEY_IN_USE,
    }),
  );

/** The 400 body of a malformed `Idempotency-Key` on a seed route (one of its 400 examples). */
export const SEED_IDEMPOTENCY_KEY_INVALID: SeedErrorBody = {
  'Idempotency-Key': [IDEMPOTENCY_KEY_INVALID],
};

/** The 409 of a turn-creating POST whose Idempotency-Key is held by a request still preparing its turn. */
export const IDEMPOTENCY_CONFLICT: ProblemResponse = [
  409,
  'A request with this `Idempotency-Key` is still preparing its turn; retry shortly.',
  { detail: IDEMPOTENCY_KEY_IN_USE },
];
