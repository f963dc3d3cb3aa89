import { Injectable, InternalServerErrorException, Logger } from '@nestjs/common';
import { SessionNotFoundException } from '../chat-sessions/chat-session.errors.js';
import { LinkedAbort } from '../common/linked-abort.js';
import { DatabaseUnavailableException, isDatabaseUnavailable } from '../database/database-errors.js';
import { GenerationEvents, type GenerationWriter } from '../generations/generation-events.js';
import type { LlmResult } from '../llm/llm-provider.js';
import {
  ChatTurnService,
  type EndedAnswer,
  type PreparedTurn,
  sessionTitleFor,
} from './chat-turn.service.js';
import { MessageDto } from './dto/message.dto.js';
import { GenerationLeasesService } from './generation-leases.service.js';
import type { ListedMessage } from './message.js';
import { MessagesService } from './messages.service.js';
import { SessionTitlesService } from './session-titles.service.js';
import { ShutdownSignal } from './shutdown-signal.js';
import { errorEvent, finalEventOf } from './stream-events.js';

/** What an `error` event says of a failure that is ours, never its cause. */
const UNEXPECTED = 'An unexpected error occurred.';

/** Why a generation was aborted other than by shutdown: a stop request, or its answer finished elsewhere. */
const STOPPED = new DOMException('The answer was stopped', 'AbortError');

/**
 * Generates a stored `streaming` answer in the background, whoever listens: its events (`message.created`,
 * `delta`s, then `message.completed` or `error`) go to the answer's log ({@link GenerationEvents}), which
 * the request's own stream and any resume follow. The provider call ends with the answer, on shutdown, or
 * on a stop request from any instance; a stopped answer is stored `stopped` with its partial text.
 * A client's disconnect never stops it.
 */
@Injectable()
export class AnswerGeneratorService {
  private readonly logger = new Logger(AnswerGeneratorService.name);

  constructor(
    private readonly turns: ChatTurnService,
    private readonly messages: MessagesService,
    private readonly shutdown: ShutdownSignal,
    private readonly titles: SessionTitlesService,
    private readonly generations: GenerationEvents,
    private readonly leases: GenerationLeasesService,
  ) {}

  /** Opens the answer's log with `message.created` (the question, and the answer's id), then generates it. */
  start(turn: PreparedTurn, question: ListedMessage, answer: ListedMessage, requestId: string): void {
    const abort = new LinkedAbort([this.shutdown.signal]);
    const stop = () => abort.abort(STOPPED);
    const writer = this.generations.open(answer.id, stop);
    this.leases.hold(answer.id, stop);
    writer.append('message.created', { ...MessageDto.from(question), assistant_message_id: answer.id });
    void this.shutdown.track(this.generate(turn, answer, writer, abort, requestId));
  }

  private async generate(
    turn: PreparedTurn,
    placeholder: ListedMessage,
    writer: GenerationWriter,
    abort: LinkedAbort,
    requestId: string,
  ): Promise<void> {
    const answerId = placeholder.id;
    let text = '';
    let result: LlmResult | undefined;
    try {
      for await (const event of turn.provider.stream(turn.request, abort.signal)) {
        if (event.type === 'delta') {
          text += event.text;
          writer.append('delta', { message_id: answerId, text: event.text });
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
      writer.append(
        'message.completed',
        MessageDto.from({ ...finished, siblingIds: placeholder.siblingIds }),
      );
      this.titles.nameAfterFirstAnswer(turn, text);
    } catch (error) {
      if (abort.signal.reason === STOPPED && !this.shutdown.signal.aborted) {
        await this.recordStop(turn, placeholder, text, result, writer, requestId);
      } else {
        const failure = await this.turns
          .fail(turn, error, text, answerId, result)
          .catch((storeError: unknown) => {
            // No filter answers for a stream: log here and still end with `error`.
            this.logger.error({ err: storeError, message_id: answerId }, 'could not record a failed answer');
            return new InternalServerErrorException(UNEXPECTED);
          });
        writer.append('error', errorEvent(failure.getStatus(), failure.message, answerId, requestId));
      }
    } finally {
      abort.release();
      this.leases.release(answerId);
      writer.end();
    }
  }

  /**
   * Stores a stopped answer with its partial text and ends its log with it. When the answer was finished
   * elsewhere meanwhile (stopped by an instance that could not reach this one, marked interrupted) the
   * log ends with that; when its session was deleted, with a 404. When the database is away, with a 503,
   * and the stop is stored once it is back.
   */
  private async recordStop(
    turn: PreparedTurn,
    placeholder: ListedMessage,
    text: string,
    reported: LlmResult | undefined,
    writer: GenerationWriter,
    requestId: string,
  ): Promise<void> {
    const answerId = placeholder.id;
    const stoppedAnswer: EndedAnswer = {
      content: text,
      status: 'stopped',
      model: reported?.model ?? turn.model,
      result: reported, // the tokens the provider reported before the stop, if it did
      latencyMs: Date.now() - turn.startedAt,
      sessionTitle: sessionTitleFor(turn),
    };
    try {
      const stopped = await this.messages.finishAnswer(answerId, stoppedAnswer);
      writer.append('message.completed', MessageDto.from({ ...stopped, siblingIds: placeholder.siblingIds }));
      return;
    } catch (error) {
      if (isDatabaseUnavailable(error)) void this.turns.finishWhenBack(answerId, stoppedAnswer);
      if (!(error instanceof SessionNotFoundException))
        return this.appendStoreError(writer, error, answerId, requestId);
    }
    let current: ListedMessage | null;
    try {
      current = await this.messages.answerById(answerId);
    } catch (error) {
      return this.appendStoreError(writer, error, answerId, requestId);
    }
    const final = current && finalEventOf(current, requestId);
    if (final) writer.append(final.event, final.data);
    else writer.append('error', errorEvent(404, new SessionNotFoundException().message, answerId, requestId));
  }

  /** Ends the log of an answer whose stop could not be stored: 503 when the database is away, else 500. */
  private appendStoreError(
    writer: GenerationWriter,
    error: unknown,
    answerId: string,
    requestId: string,
  ): void {
    if (isDatabaseUnavailable(error)) {
      const unavailable = new DatabaseUnavailableException();
      writer.append('error', errorEvent(unavailable.getStatus(), unavailable.message, answerId, requestId));
      return;
    }
    this.logger.error({ err: error, message_id: answerId }, 'could not record a stopped answer');
    writer.append('error', errorEvent(500, UNEXPECTED, answerId, requestId));
  }
}
