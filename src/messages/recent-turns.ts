import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '../config/app-config.js';
import { type ContextRead, type EarlierTurn, MAX_CONTEXT_TURNS, type TurnRange } from './messages.service.js';

/**
 * What this process holds of a session: every complete turn whose `turnStart` is in [from, to), except,
 * when it holds MAX_CONTEXT_TURNS turns, those older than all of them.
 */
export interface KnownTurns extends TurnRange {
  /** Oldest first. */
  turns: readonly EarlierTurn[];
}

/** An idle session's turns are dropped after this long, so that old conversations do not linger in memory. */
const IDLE_TTL_MS = 30 * 60_000;

/**
 * The turns of each session's latest context, kept in memory so that the next turn reads from the
 * database only what was answered since (usually one turn) instead of the whole context again.
 *
 * The database stays the source of truth: a complete turn never changes, and the session's running
 * total says which turns exist, so a range of turns read once is valid for good. Another server
 * answering in the same session only means this one reads what it has not seen. Bounded by
 * `LLM_CONTEXT_CACHE_MB` (the text, and the JSON the OpenAI provider keeps of each message while it is
 * held: see EarlierTurn; least recently used sessions go first); 0 turns it off.
 */
@Injectable()
export class RecentTurns {
  private readonly sessions: LRUCache<string, KnownTurns> | null;

  constructor(config: AppConfig) {
    const maxChars = config.llm.contextCacheChars;
    this.sessions =
      maxChars > 0
        ? new LRUCache<string, KnownTurns>({
            maxSize: maxChars,
            sizeCalculation: (known) => Math.max(1, charsOf(known.turns)),
            ttl: IDLE_TTL_MS,
            updateAgeOnGet: true,
          })
        : null;
  }

  /** The turns held for a session, to pass to {@link MessagesService.readContext} and then to {@link merge}. */
  known(sessionId: string): KnownTurns | undefined {
    return this.sessions?.get(sessionId);
  }

  /**
   * The context's candidate turns, oldest first: the newest (at most MAX_CONTEXT_TURNS) of those within
   * `historyChars` of the session's total, from `known` and the turns just read. Remembers them.
   */
  merge(
    sessionId: string,
    known: KnownTurns | undefined,
    read: Pick<ContextRead, 'contextChars' | 'fetchedTurns'>,
    historyChars: number,
  ): EarlierTurn[] {
    const lowest = read.contextChars - historyChars;
    const candidates = known
      ? [...known.turns.filter((turn) => turn.turnStart >= lowest), ...read.fetchedTurns]
      : read.fetchedTurns;
    candidates.sort((a, b) => a.turnStart - b.turnStart);
    const capped = candidates.length >= MAX_CONTEXT_TURNS;
    const turns = capped ? candidates.slice(-MAX_CONTEXT_TURNS) : candidates;
    // Uncapped, these are all the turns of [lowest, total). Capped, they are the newest that many: a turn
    // they leave out is older than all of them, so no later context needs it, and only the turns
    // answered since need reading (from 0: nothing below is missing).
    this.remember(sessionId, { from: capped ? 0 : lowest, to: read.contextChars, turns });
    return turns;
  }

  private remember(sessionId: string, known: KnownTurns): void {
    if (!this.sessions) return;
    const held = this.sessions.peek(sessionId);
    if (held && held.to > known.to) return; // a later turn's view is already there
    this.sessions.set(sessionId, known);
  }
}

function charsOf(turns: readonly EarlierTurn[]): number {
  let chars = 0;
  for (const turn of turns) chars += turn.question.content.length + turn.answer.content.length;
  return chars;
}
