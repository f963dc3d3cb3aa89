import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ChatSession } from '../chat-sessions/chat-session.entity.js';
import { AppConfig } from '../config/app-config.js';
import { LlmError, TITLE_WORDS, type LlmRequest } from '../llm/llm-provider.js';
import type { PreparedTurn } from './chat-turn.service.js';
import { bareTitle, cleanTitle, clipGraphemes, questionText, sessionTitleFor } from './session-title.js';
import { ShutdownSignal } from './shutdown-signal.js';

/** Long enough for a slow model's few words; a title that takes longer is not worth waiting for. */
const TITLE_TIMEOUT_MS = 20_000;
/** Room for six words in any language, and a label or quotes the cleaning removes. */
const TITLE_MAX_TOKENS = 50;
/** The start of the question and of the answer is what a title is made of; the rest costs tokens. */
const EXCERPT_LENGTH = 1_500;

export const TITLE_INSTRUCTION =
  `You name conversations. Write a title of at most ${TITLE_WORDS} words that says what the ` +
  "conversation is about, in the language of the user's first message. Reply with the title alone: " +
  'no quotes, no label, no final punctuation, no explanation.';

/**
 * Names a session as Open WebUI and LibreChat do: once its first answer is complete, a short separate
 * call asks the session's provider for a title. The question stays the title (stored with the answer)
 * when that call fails, or when the session was renamed meanwhile.
 */
@Injectable()
export class SessionTitlesService {
  private readonly logger = new Logger(SessionTitlesService.name);

  constructor(
    @InjectRepository(ChatSession) private readonly sessions: Repository<ChatSession>,
    private readonly shutdown: ShutdownSignal,
    private readonly config: AppConfig,
  ) {}

  /**
   * After a complete answer: when it was the first of an untitled session (which it has just named
   * after the question), asks for a better title. Returns at once; the call runs on its own, and
   * shutdown waits for it (it is aborted then).
   */
  nameAfterFirstAnswer(turn: PreparedTurn, answer: string): void {
    const fallback = sessionTitleFor(turn);
    if (fallback === null || this.config.llm.titles !== 'model') return;
    void this.shutdown.track(this.name(turn, fallback, answer));
  }

  private async name(turn: PreparedTurn, fallback: string, answer: string): Promise<void> {
    const sessionId = turn.session.id;
    try {
      const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(TITLE_TIMEOUT_MS)]);
      const result = await turn.provider.complete(titleRequest(turn, answer), signal);
      const title = cleanTitle(result.text);
      // Nothing to store when the model gave nothing, or only repeated the question.
      if (!title || title === bareTitle(fallback)) return;
      // Only over the question's title: a title someone set meanwhile stays.
      await this.sessions.update({ id: sessionId, title: fallback }, { title });
    } catch (error) {
      const context = { session_id: sessionId, provider: turn.providerName };
      if (error instanceof LlmError) {
        this.logger.warn(
          { ...context, reason: error.message },
          'title call failed; the question stays the title',
        );
      } else if (error instanceof DOMException) {
        // Our timeout (TimeoutError), or the server shutting down (AbortError).
        this.logger.warn(
          { ...context, reason: error.name },
          'title call stopped; the question stays the title',
        );
      } else {
        this.logger.warn(
          { ...context, err: error },
          'could not store the title; the question stays the title',
        );
      }
    }
  }
}

/** The conversation's first question and answer, then the request for a title, to the session's model. */
function titleRequest(turn: PreparedTurn, answer: string): LlmRequest {
  return {
    model: turn.model ?? undefined,
    system: TITLE_INSTRUCTION,
    messages: [
      { role: 'user' as const, content: clipGraphemes(questionText(turn), EXCERPT_LENGTH) },
      { role: 'assistant' as const, content: clipGraphemes(answer, EXCERPT_LENGTH) },
      {
        role: 'user' as const,
        content: `Write the title of this conversation: at most ${TITLE_WORDS} words.`,
      },
    ].filter((message) => message.content), // an empty answer is no message (Gemini refuses one)
    maxTokens: TITLE_MAX_TOKENS,
    purpose: 'title',
  };
}
