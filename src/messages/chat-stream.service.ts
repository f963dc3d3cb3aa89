import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import type { SseStream } from '../common/sse-stream.js';
import { AnswerGeneratorService } from './answer-generator.service.js';
import { AnswerStreamsService } from './answer-streams.service.js';
import { ChatTurnService, type TurnRequest } from './chat-turn.service.js';
import { GenerationLeasesService } from './generation-leases.service.js';
import { MessagesService } from './messages.service.js';

/**
 * A chat turn answered as Server-Sent Events: `message.created` (the stored question, with the answer's
 * id), `delta` per chunk, then `message.completed` (the stored answer) or `error` (problem details).
 * The answer is stored as `streaming` when the stream opens, generated in the background
 * ({@link AnswerGeneratorService}) and finished whether or not the client is still listening; this
 * request's stream follows it as a resume would.
 */
@Injectable()
export class ChatStreamService {
  constructor(
    private readonly turns: ChatTurnService,
    private readonly messages: MessagesService,
    private readonly generator: AnswerGeneratorService,
    private readonly streams: AnswerStreamsService,
    private readonly leases: GenerationLeasesService,
  ) {}

  /**
   * Prepares and stores the turn (errors before the stream opens are ordinary HTTP errors), starts its
   * answer, then streams it. `stored` runs once the answer has an id, before anything is generated.
   */
  async stream(
    caller: AuthUser,
    sessionId: string,
    request: TurnRequest,
    sse: SseStream,
    requestId: string,
    stored?: (answerId: string) => Promise<void>,
  ): Promise<void> {
    const turn = await this.turns.prepare(caller, sessionId, request);
    const turnMessages = await this.turns.store(turn, {
      provider: turn.providerName,
      model: turn.model,
      status: 'streaming',
      content: '',
      leaseUntil: this.leases.leaseUntil(),
    });
    await stored?.(turnMessages.answer.id);
    const [question, answer] = await this.messages.withSiblings([turnMessages.question, turnMessages.answer]);
    this.generator.start(turn, question, answer, requestId);
    sse.open();
    await this.streams.relay(answer.id, 0, sse, requestId);
  }
}
