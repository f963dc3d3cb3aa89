import { HttpException, HttpStatus } from '@nestjs/common';
import { RequestValidationException, type StyledException } from '../common/exceptions.js';
import type { LlmMessage } from '../llm/llm-provider.js';

/** A chat completion request as the gateway runs it: the body checked, its messages folded. */
export interface CompletionRequest {
  /** The model as the client named it (`provider/model` or a bare name). */
  model: string;
  /** System (and developer) messages, joined: the provider's system prompt. */
  system?: string;
  /** User and assistant turns, oldest first, consecutive ones of a role joined; the last is the user's. */
  messages: LlmMessage[];
  stream: boolean;
  includeUsage: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  store: boolean;
}

/** 404 with OpenAI's `model_not_found`. */
export class ModelNotFoundException extends HttpException implements StyledException {
  readonly openAiCode = 'model_not_found';

  constructor(model: string) {
    super(`The model \`${model}\` does not exist or you do not have access to it.`, HttpStatus.NOT_FOUND);
  }
}

/** Fields OpenAI's API takes that the gateway cannot honour: a 400 naming them, never silently dropped. */
const UNSUPPORTED = new Set([
  'tools',
  'tool_choice',
  'functions',
  'function_call',
  'parallel_tool_calls',
  'logprobs',
  'top_logprobs',
  'logit_bias',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'audio',
  'modalities',
  'prediction',
  'reasoning_effort',
  'service_tier',
  'metadata',
  'web_search_options',
]);
const SUPPORTED = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'store',
  'user',
  'n',
  'response_format',
]);

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether a field is absent for our purposes: missing, null, false, an empty list (as SDKs send defaults). */
const absent = (value: unknown): boolean =>
  value === undefined || value === null || value === false || (Array.isArray(value) && value.length === 0);

function invalid(field: string, message: string): RequestValidationException {
  return new RequestValidationException([{ field, message }]);
}

/**
 * Checks a `POST /v1/chat/completions` body: a 400 naming the first field at fault, or an unsupported
 * or unknown one. System and developer messages become the system prompt wherever they stand.
 */
export function parseCompletionRequest(body: unknown): CompletionRequest {
  if (!isObject(body)) throw invalid('', 'The request body must be a JSON object.');
  for (const [field, value] of Object.entries(body)) {
    if (UNSUPPORTED.has(field) && !absent(value))
      throw invalid(field, `${field} is not supported by this gateway.`);
    if (!UNSUPPORTED.has(field) && !SUPPORTED.has(field))
      throw invalid(field, `Unrecognized request argument supplied: ${field}.`);
  }
  if (typeof body.model !== 'string' || body.model.trim() === '')
    throw invalid('model', 'model is required: a model id of GET /v1/models.');
  if (!absent(body.n) && body.n !== 1) throw invalid('n', 'Only n=1 is supported.');
  const format = body.response_format;
  if (!absent(format) && !(isObject(format) && format.type === 'text'))
    throw invalid('response_format', 'Only response_format {"type": "text"} is supported.');
  if (!absent(body.user) && typeof body.user !== 'string') throw invalid('user', 'user must be a string.');
  const options = body.stream_options;
  if (
    !absent(options) &&
    !(isObject(options) && ['undefined', 'boolean'].includes(typeof options.include_usage))
  )
    throw invalid('stream_options', 'stream_options must be an object with a boolean include_usage.');
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  return {
    model: body.model,
    ...foldMessages(body.messages),
    stream: flag(body, 'stream'),
    includeUsage: isObject(options) && options.include_usage === true,
    store: flag(body, 'store'),
    maxTokens: optionalNumber(
      body.max_completion_tokens === undefined || body.max_completion_tokens === null
        ? 'max_tokens'
        : 'max_completion_tokens',
      maxTokens,
      1,
      1_000_000,
      true,
    ),
    temperature: optionalNumber('temperature', body.temperature, 0, 2),
    topP: optionalNumber('top_p', body.top_p, 0, 1),
    stop: stopOf(body.stop),
  };
}

function flag(body: Json, field: string): boolean {
  const value = body[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalid(field, `${field} must be a boolean.`);
  return value;
}

function optionalNumber(
  field: string,
  value: unknown,
  min: number,
  max: number,
  integer = false,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  )
    throw invalid(field, `${field} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}.`);
  return value;
}

function stopOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length > 4 || !list.every((s) => typeof s === 'string' && s !== ''))
    throw invalid('stop', 'stop must be a string or a list of at most 4 non-empty strings.');
  return list as string[];
}

/** The text of a message's content: a string, or a list of text parts (other parts are a 400). */
function textOf(content: unknown, field: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(field, 'content must be a string or a list of text parts.');
  return content
    .map((part: unknown) => {
      if (isObject(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
      const type = isObject(part) ? String(part.type) : typeof part;
      throw invalid(field, `Content parts of type ${type} are not supported: only text.`);
    })
    .join('');
}

function foldMessages(value: unknown): Pick<CompletionRequest, 'system' | 'messages'> {
  if (!Array.isArray(value) || value.length === 0)
    throw invalid('messages', 'messages must be a non-empty list.');
  const system: string[] = [];
  const messages: { role: 'user' | 'assistant'; content: string }[] = [];
  value.forEach((message: unknown, i) => {
    const field = `messages[${i}]`;
    if (!isObject(message)) throw invalid(field, 'Each message must be an object.');
    const { role } = message;
    if (!absent(message.tool_calls) || !absent(message.function_call))
      throw invalid(`${field}.tool_calls`, 'Tool calls are not supported by this gateway.');
    const content = textOf(message.content, `${field}.content`);
    if (role === 'system' || role === 'developer') {
      system.push(content);
      return;
    }
    if (role !== 'user' && role !== 'assistant')
      throw invalid(`${field}.role`, 'role must be system, developer, user or assistant.');
    const last = messages.at(-1);
    if (last?.role === role) last.content += `\n\n${content}`;
    else messages.push({ role, content });
  });
  if (messages.at(-1)?.role !== 'user')
    throw invalid('messages', "The last message (besides system messages) must be the user's.");
  return { ...(system.length ? { system: system.join('\n\n') } : {}), messages };
}
