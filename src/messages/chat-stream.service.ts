import { Injectable, InternalServerErrorException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { AuthUser } from '../auth/auth-user.js';
import type { SseStream } from '../common/sse-stream.js';
import type { LlmResult } from '../llm/llm-provider.js';
import { ChatTurnService, PreparedTurn, sessionTitleFor, type TurnRequest } from './chat-turn.service.js';
import type { ListedMessage } from './message.js';
import { MessageDto } from './dto/message.dto.js';
import { MessagesService } from './messages.service.js';
import { SessionTitlesService } from './session-titles.service.js';
import { ShutdownSignal } from './shutdown-signal.js';

/**
 * A chat turn answered as Server-Sent Events: `message.created` (the stored question), `delta` per chunk,
 * then `message.completed` (the stored answer) or `error` (problem details). The answer is stored as
 * `streaming` when the stream opens and finished whether or not the client is still listening.
 */
@Injectable()
export class ChatStreamService {
  private readonly logger = new Logger(ChatStreamService.name);

  constructor(
    private readonly turns: ChatTurnService,
    private readonly messages: MessagesService,
    private readonly shutdown: ShutdownSignal,
    private readonly titles: SessionTitlesService,
  ) {}

  /** Prepares the turn (errors before the stream opens are ordinary HTTP errors), then streams it. */
  async stream(
    caller: AuthUser,
    sessionId: string,
    request: TurnRequest,
    sse: SseStream,
    requestId: string,
  ): Promise<void> {
    const turn = await this.turns.prepare(caller, sessionId, request);
    const stored = await this.turns.store(turn, {
      provider: turn.providerName,
      model: turn.model,
      status: 'streaming',
      content: '',
    });
    const [question, answer] = await this.messages.withSiblings([stored.question, stored.answer]);
    sse.open();
    sse.send('message.created', MessageDto.from(question));
    await this.shutdown.track(this.relay(turn, answer, sse, requestId));
  }

  private async relay(
    turn: PreparedTurn,
    placeholder: ListedMessage,
    sse: SseStream,
    requestId: string,
  ): Promise<void> {
    const answerId = placeholder.id;
    let text = '';
    let result: LlmResult | undefined;
    try {
      for await (const event of turn.provider.stream(turn.request, this.shutdown.signal)) {
        if (event.type === 'delta') {
          text += event.text;
          sse.send('delta', { message_id: answerId, text: event.text });
        } else {
          result = event;
        }
      }
      const finished = await this.messages.finishAnswer(answerId, {
        content: text,
        status: 'complete',
        model: result?.model ?? turn.model,
        result,
        latencyMs: Date.now() - turn.startedAt,
        sessionTitle: sessionTitleFor(turn),
      });
      // The siblings as they were when the answer started: a sibling stored since then shows on the next read.
      sse.send('message.completed', MessageDto.from({ ...finished, siblingIds: placeholder.siblingIds }));
      this.titles.nameAfterFirstAnswer(turn, text);
    } catch (error) {
      const failure = await this.turns
        .fail(turn, error, text, answerId, result)
        .catch((storeError: unknown) => {
          // The stream is open: no filter will answer for it, so log here and still end with `error`.
          this.logger.error({ err: storeError, message_id: answerId }, 'could not record a failed answer');
          return new InternalServerErrorException('An unexpected error occurred.');
        });
      const status = failure.getStatus();
      sse.send('error', {
        type: 'about:blank',
        title: STATUS_CODES[status],
        status,
        detail: failure.message,
        message_id: answerId,
        request_id: requestId,
      });
    } finally {
      sse.end();
    }
  }
}
