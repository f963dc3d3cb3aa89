import { TITLE_WORDS } from '../llm/llm-provider.js';
import type { TurnTarget } from './chat-turn.service.js';

const TITLE_LENGTH = 60;

/** After a complete answer, a session without a title takes one from its first answered question. */
export function sessionTitleFor(turn: TurnTarget): string | null {
  return turn.session.title === null ? titleFrom(questionText(turn)) : null;
}

/** The text of the question a turn answers, new or stored. */
export function questionText({ question }: Pick<TurnTarget, 'question'>): string {
  return question.stored ? question.message.content : question.content;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * The question's first characters, on one line, at most TITLE_LENGTH UTF-16 units. A long one is cut
 * between two graphemes (what a reader sees as a character): never inside a surrogate pair, which
 * PostgreSQL would store as U+FFFD, nor inside an emoji sequence or before a combining accent.
 */
export function titleFrom(content: string): string {
  const line = content.replace(/\s+/g, ' ').trim();
  if (line.length <= TITLE_LENGTH) return line;
  return `${clipGraphemes(line, TITLE_LENGTH - 1).trimEnd()}…`;
}

/** The longest start of `text` of at most `maxLength` UTF-16 units that ends between two graphemes. */
export function clipGraphemes(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let end = 0;
  for (const { index, segment } of graphemes.segment(text)) {
    if (index + segment.length > maxLength) break;
    end = index + segment.length;
  }
  return text.slice(0, end);
}

/** A reasoning model's thoughts (`<think>…</think>`, as Ollama's DeepSeek-R1 and Qwen3 send them). */
const THOUGHTS = /<think>[\s\S]*?(?:<\/think>|$)/g;
/** A label the model put before its title: `Title:`, `**Title:**`. */
const LABEL = /^[#*\s]*title\s*\**\s*:\s*\**\s*/i;
/** Quotes and markdown emphasis around a title. */
const AROUND = /^["'`*_“”‘’«»„\s]+|["'`*_“”‘’«»„\s]+$/g;
/** Punctuation a title does not end with (a question or exclamation mark is kept). */
const TRAILING_PUNCTUATION = /[\s.,;:。、]+$/u;
/** Control characters (NUL among them) and lone surrogates: PostgreSQL cannot store either. */
const UNSTORABLE = /[\p{Cc}\p{Cs}]/gu;

/**
 * A model's title made fit to store: its first line, without a `Title:` label, quotes or a final
 * period, at most TITLE_WORDS words and TITLE_LENGTH characters (cut as {@link titleFrom} cuts).
 * Empty when nothing is left.
 */
export function cleanTitle(text: string): string {
  const line =
    text
      .replace(THOUGHTS, '')
      .split(/[\r\n]+/)
      .map((part) => part.replace(UNSTORABLE, ' ').trim())
      .find(Boolean) ?? '';
  const words = line.replace(LABEL, '').split(/\s+/).filter(Boolean).slice(0, TITLE_WORDS).join(' ');
  return titleFrom(bareTitle(words));
}

/** A title without the quotes around it and its final period. */
export function bareTitle(title: string): string {
  return title.replace(AROUND, '').replace(TRAILING_PUNCTUATION, '').replace(AROUND, '');
}
