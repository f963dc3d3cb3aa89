import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';

type SchemaObject = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];

const OPENAI_ERROR: SchemaObject = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'param', 'code'],
      properties: {
        message: { type: 'string' },
        type: { type: 'string', example: 'invalid_request_error' },
        param: { type: 'string', nullable: true, example: 'tools' },
        code: { type: 'string', nullable: true, example: null },
      },
    },
  },
};

const USAGE: SchemaObject = {
  type: 'object',
  properties: {
    prompt_tokens: { type: 'integer' },
    completion_tokens: { type: 'integer' },
    total_tokens: { type: 'integer' },
  },
};

const error = (status: number, description: string) =>
  ApiResponse({ status, description, content: { 'application/json': { schema: OPENAI_ERROR } } });

const AUTH_ERROR = error(401, 'No API key, or not a live one (a JWT or personal token is refused here).');

export const ModelsDocs = (): MethodDecorator =>
  applyDecorators(
    ApiOperation({
      summary: 'List the models, as provider/model',
      description:
        "Each configured provider's default model, then those of `GATEWAY_MODELS`. OpenAI's list shape.",
    }),
    ApiResponse({
      status: 200,
      description: 'The models.',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: {
              object: { type: 'string', enum: ['list'] },
              data: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string', example: 'openai/gpt-4o-mini' },
                    object: { type: 'string', enum: ['model'] },
                    created: { type: 'integer' },
                    owned_by: { type: 'string', example: 'openai' },
                  },
                },
              },
            },
          },
        },
      },
    }),
    AUTH_ERROR,
  );

export const ChatCompletionsDocs = (): MethodDecorator =>
  applyDecorators(
    ApiOperation({
      summary: 'Create a chat completion (OpenAI-compatible)',
      description:
        "OpenAI's Chat Completions body: `model` (`provider/model`; a bare name is a listed model, else " +
        'a model of the default provider), `messages` (system, developer, user, assistant; string or text ' +
        'parts), `stream`, `stream_options.include_usage`, `max_tokens`/`max_completion_tokens`, ' +
        '`temperature`, `top_p`, `stop`, `n` (1), `store`, `user`. Anthropic ignores `temperature` and ' +
        "`top_p`. Tools, images and other fields are a 400 naming them. Counts in the caller's usage and " +
        'budgets like a chat turn; `store: true` also saves the exchange as a chat session.',
    }),
    ApiBody({
      schema: {
        type: 'object',
        required: ['model', 'messages'],
        properties: {
          model: { type: 'string', example: 'echo/echo' },
          messages: {
            type: 'array',
            items: {
              type: 'object',
              required: ['role', 'content'],
              properties: {
                role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant'] },
                content: {
                  oneOf: [
                    { type: 'string' },
                    {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: { type: { type: 'string', enum: ['text'] }, text: { type: 'string' } },
                      },
                    },
                  ],
                },
              },
            },
          },
          stream: { type: 'boolean' },
          stream_options: { type: 'object', properties: { include_usage: { type: 'boolean' } } },
          max_tokens: { type: 'integer', minimum: 1 },
          max_completion_tokens: { type: 'integer', minimum: 1 },
          temperature: { type: 'number', minimum: 0, maximum: 2 },
          top_p: { type: 'number', minimum: 0, maximum: 1 },
          stop: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 4 }] },
          n: { type: 'integer', enum: [1] },
          store: { type: 'boolean' },
          user: { type: 'string' },
        },
      },
    }),
    ApiResponse({
      status: 200,
      description:
        'A `chat.completion` object, or with `stream` an SSE stream of `chat.completion.chunk` events ' +
        'ending with `data: [DONE]`.',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: {
              id: { type: 'string', example: 'chatcmpl-0c4e…' },
              object: { type: 'string', enum: ['chat.completion'] },
              created: { type: 'integer' },
              model: { type: 'string' },
              choices: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    index: { type: 'integer' },
                    message: {
                      type: 'object',
                      properties: { role: { type: 'string' }, content: { type: 'string' } },
                    },
                    finish_reason: { type: 'string', enum: ['stop', 'length', 'content_filter'] },
                  },
                },
              },
              usage: USAGE,
            },
          },
        },
        'text/event-stream': { schema: { type: 'string' } },
      },
    }),
    error(400, 'A bad body, or an unsupported field (named in `param`).'),
    AUTH_ERROR,
    error(404, 'Unknown model (`code` `model_not_found`).'),
    error(413, 'A body larger than 1 MiB.'),
    error(415, 'Not JSON.'),
    error(429, 'A token budget used up (`insufficient_quota`) or the per-minute limit; `Retry-After`.'),
    error(502, 'The provider failed.'),
    error(503, 'The provider is rate limited, overloaded or not configured.'),
    error(504, 'The provider did not answer in time.'),
  );
