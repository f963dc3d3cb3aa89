import { applyDecorators } from '@nestjs/common';
import { ApiCreatedResponse, ApiResponse } from '@nestjs/swagger';
import { ChatTurnDto } from './dto/message.dto.js';

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

/** A whole stream as the server writes it, for the document's example. */
const STREAM_EXAMPLE = [
  event(1, 'message.created', message(QUESTION, null, 'user', 'Hello!')),
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
].join('');

const STREAM_DESCRIPTION = [
  'With `Accept: text/event-stream`: the answer as Server-Sent Events, each with an increasing `id:`.',
  '',
  '- `message.created`: the stored user message (a message object).',
  '- `delta`: `{"message_id", "text"}`, a chunk of the answer; one or more.',
  '- `message.completed`: the stored assistant message, with `usage`; the last event.',
  '- `error`: instead of `message.completed` when the provider fails: problem details',
  '  (`type, title, status, detail, message_id, request_id`), status 502, 503 or 504;',
  '  the answer is stored with `status: "failed"`.',
  '',
  'A comment line (`: heartbeat`) is sent every 15 s. If the client disconnects, generation goes on',
  'and the answer is stored all the same. Errors found before the stream opens (400, 401, 404) are',
  'ordinary problem-details responses.',
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
