import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../auth/auth-user.js';
import { ApiKeyAuth } from '../auth/api-keys/api-key.guard.js';
import { SseStream } from '../common/sse-stream.js';
import type { LlmResult } from '../llm/llm-provider.js';
import { parseCompletionRequest } from './chat-completion-request.js';
import { GatewayModelsService } from './gateway-models.service.js';
import { type AdmittedCompletion, GatewayService } from './gateway.service.js';
import { ChatCompletionsDocs, ModelsDocs } from './gateway.api-docs.js';

/** The server's start: `created` of every listed model (they exist as long as it is configured so). */
const STARTED = Math.floor(Date.now() / 1000);

/**
 * The OpenAI-compatible gateway (`/v1`, outside the native API's prefix), for OpenAI's SDKs and the
 * tools built on them. API keys only; errors in OpenAI's shape (see the exception filter).
 */
@ApiTags('gateway')
@ApiBearerAuth('api-key')
@ApiKeyAuth()
@Controller('v1')
export class GatewayController {
  constructor(
    private readonly models: GatewayModelsService,
    private readonly gateway: GatewayService,
  ) {}

  @Get('models')
  @ModelsDocs()
  listModels() {
    return {
      object: 'list',
      data: this.models.list().map((id) => ({
        id,
        object: 'model',
        created: STARTED,
        owned_by: id.split('/', 1)[0],
      })),
    };
  }

  @Post('chat/completions')
  @HttpCode(200)
  @ChatCompletionsDocs()
  async createCompletion(
    @Req() request: FastifyRequest & { user: AuthUser },
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ) {
    const completion = await this.gateway.admit(request.user, parseCompletionRequest(body));
    const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
    const created = Math.floor(Date.now() / 1000);
    if (!completion.request.stream) {
      const result = await this.gateway.complete(completion);
      return {
        id,
        object: 'chat.completion',
        created,
        model: completion.target.id,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: result.text, refusal: null },
            logprobs: null,
            finish_reason: finishReasonOf(result),
          },
        ],
        usage: usageOf(result),
      };
    }
    await this.streamCompletion(completion, reply, { id, created });
  }

  /**
   * OpenAI's stream: a first chunk with the role, a chunk per delta, one with the finish reason, the
   * usage in a last chunk when asked for, then `[DONE]`. A failure before the first byte is an error
   * answer; once streaming, an `{error}` event (what OpenAI's SDKs raise) ends the stream.
   */
  private async streamCompletion(
    completion: AdmittedCompletion,
    reply: FastifyReply,
    head: { id: string; created: number },
  ): Promise<void> {
    const sse = new SseStream(reply);
    const events = this.gateway.stream(completion, sse.closed);
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        ...head,
        object: 'chat.completion.chunk',
        model: completion.target.id,
        choices,
        ...extra,
      });
    const first = await events.next(); // a provider refusing the call is still an HTTP error
    sse.open();
    sse.sendData(
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
    );
    try {
      for (let next = first; !next.done; next = await events.next()) {
        const event = next.value;
        if (event.type === 'delta') {
          sse.sendData(
            chunk([{ index: 0, delta: { content: event.text }, logprobs: null, finish_reason: null }]),
          );
          continue;
        }
        sse.sendData(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReasonOf(event) }]));
        if (completion.request.includeUsage) sse.sendData(chunk([], { usage: usageOf(event) }));
      }
      sse.sendData('[DONE]');
    } catch (error) {
      const message = error instanceof Error ? error.message : 'The provider failed.';
      sse.sendData(JSON.stringify({ error: { message, type: 'api_error', param: null, code: null } }));
    } finally {
      sse.end();
    }
  }
}

function finishReasonOf(result: LlmResult): string {
  const reason = result.finishReason;
  if (reason === 'length' || reason === 'MAX_TOKENS' || reason === 'max_tokens') return 'length';
  if (reason === 'content_filter' || reason === 'SAFETY') return 'content_filter';
  return 'stop';
}

function usageOf(result: LlmResult) {
  const prompt = result.usage?.promptTokens ?? 0;
  const completion = result.usage?.completionTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
