import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AuthUser } from '../auth/auth-user.js';
import { ChatSessionsService } from '../chat-sessions/chat-sessions.service.js';
import {
  LlmError,
  type LlmRequest,
  type LlmResult,
  type LlmStreamEvent,
  type LlmUsage,
} from '../llm/llm-provider.js';
import { MessagesService } from '../messages/messages.service.js';
import { ProviderFailedException } from '../messages/provider-failed.exception.js';
import { titleFrom } from '../messages/session-title.js';
import { ShutdownSignal } from '../messages/shutdown-signal.js';
import { TurnAdmission } from '../usage/turn-admission.service.js';
import { type FinishedStatus, recordUserUsage } from '../usage/usage-recorder.js';
import type { CompletionRequest } from './chat-completion-request.js';
import { type GatewayModel, GatewayModelsService } from './gateway-models.service.js';

/** A completion admitted and routed: what the provider is asked, and who answers. */
export interface AdmittedCompletion {
  caller: AuthUser;
  request: CompletionRequest;
  target: GatewayModel;
  llmRequest: LlmRequest;
  startedAt: number;
}

/**
 * Runs the gateway's completions: refused like a chat turn (rate limit, budgets), counted in the
 * caller's usage whatever their outcome, and with `store` saved as a session of the caller's.
 */
@Injectable()
export class GatewayService {
  constructor(
    private readonly models: GatewayModelsService,
    private readonly admission: TurnAdmission,
    private readonly shutdown: ShutdownSignal,
    private readonly sessions: ChatSessionsService,
    private readonly messages: MessagesService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Routes the request (404 for an unknown model), then admits the caller (429). */
  async admit(caller: AuthUser, request: CompletionRequest): Promise<AdmittedCompletion> {
    const target = this.models.resolve(request.model);
    await this.admission.admit(caller);
    const { system, messages, maxTokens, temperature, topP, stop } = request;
    return {
      caller,
      request,
      target,
      llmRequest: { model: target.model, system, messages, maxTokens, temperature, topP, stop },
      startedAt: Date.now(),
    };
  }

  /**
   * The whole answer; a provider failure is recorded and thrown as a 502/503/504. Shutdown waits for
   * the call and its record.
   */
  complete(completion: AdmittedCompletion): Promise<LlmResult> {
    return this.shutdown.track(this.completeNow(completion));
  }

  private async completeNow(completion: AdmittedCompletion): Promise<LlmResult> {
    let result: LlmResult;
    try {
      result = await completion.target.provider.complete(completion.llmRequest, this.shutdown.signal);
    } catch (error) {
      throw await this.failed(completion, error);
    }
    await this.finish(completion, result, 'complete');
    return result;
  }

  /**
   * The answer's deltas and `done`; `clientGone` aborts the provider call (the answer is then recorded as
   * stopped). A failure is recorded, then thrown as a 502/503/504. Either keeps the tokens the provider
   * reported before it.
   */
  async *stream(
    completion: AdmittedCompletion,
    clientGone: AbortSignal,
  ): AsyncGenerator<Exclude<LlmStreamEvent, { type: 'usage' }>> {
    const signal = AbortSignal.any([this.shutdown.signal, clientGone]);
    let text = '';
    let usage: LlmUsage | null = null;
    try {
      for await (const event of completion.target.provider.stream(completion.llmRequest, signal)) {
        if (event.type === 'usage') {
          usage = event.usage;
          continue;
        }
        if (event.type === 'delta') text += event.text;
        else await this.finish(completion, event, 'complete');
        yield event;
      }
    } catch (error) {
      if (clientGone.aborted) {
        const stopped = { text, model: completion.target.model, usage, finishReason: null };
        await this.finish(completion, stopped, 'stopped');
        return;
      }
      throw await this.failed(completion, error, usage);
    }
  }

  private async failed(
    completion: AdmittedCompletion,
    error: unknown,
    usage: LlmUsage | null = null,
  ): Promise<unknown> {
    const failure = { text: '', model: completion.target.model, usage, finishReason: null };
    await this.finish(completion, failure, 'failed');
    const cause =
      error instanceof LlmError
        ? error
        : new LlmError('upstream', 'The provider failed unexpectedly', completion.target.provider.name);
    return new ProviderFailedException(cause, '');
  }

  /** Counts the answer in the caller's usage; with `store` (and a complete answer) saves the exchange. */
  private async finish(
    { caller, request, target, startedAt }: AdmittedCompletion,
    result: LlmResult,
    status: FinishedStatus,
  ): Promise<void> {
    const provider = target.provider.name;
    const usage = result.usage;
    if (!request.store || status !== 'complete') {
      await recordUserUsage(this.dataSource.manager, caller.id, {
        provider,
        model: result.model || target.model,
        status,
        promptTokens: usage?.promptTokens ?? null,
        completionTokens: usage?.completionTokens ?? null,
      });
      return;
    }
    const firstQuestion = request.messages[0]?.content ?? '';
    const session = await this.sessions.create(caller.id, {
      systemPrompt: request.system ?? null,
      provider,
      model: target.model,
    });
    await this.messages.addConversation(session.id, request.messages, {
      provider,
      model: result.model || target.model,
      status,
      content: result.text,
      result,
      latencyMs: Date.now() - startedAt,
      sessionTitle: titleFrom(firstQuestion) || null,
    });
  }
}
