import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { decodeCursor, encodeCursor, isCursorTimestamp, UUID_PATTERN } from '../common/keyset-cursor.js';
import { isoFromTimestamptz } from '../database/timestamps.js';
import { PLANNED_PER_CALL } from '../database/prepared-statements.js';
import type { MessageRole } from '../messages/message.js';
import { MATCH_END, MATCH_START } from './dto/search.dto.js';

/** One match: a message, or a session's title (`messageId` and `role` null). */
export interface SearchHit {
  sessionId: string;
  sessionTitle: string | null;
  messageId: string | null;
  role: MessageRole | null;
  snippet: string;
  createdAt: string;
}

export interface SearchPage {
  hits: SearchHit[];
  nextCursor: string | null;
}

/** A row of {@link searchSql}: text columns, so that the cursor keeps PostgreSQL's exact rank and time. */
interface HitRow {
  id: string;
  session_id: string;
  session_title: string | null;
  message_id: string | null;
  role: MessageRole | null;
  snippet: string;
  created_at: string;
  rank: string;
}

/** ts_headline's options: two fragments of 15–35 words at most, matches between ⟦ and ⟧. */
const HEADLINE_OPTIONS =
  `StartSel=${MATCH_START}, StopSel=${MATCH_END}, MaxWords=35, MinWords=15, ShortWord=2, ` +
  `MaxFragments=2, FragmentDelimiter=" … "`;

/**
 * The tsquery of `q`, written where it is used rather than once in a CTE: with the language a `regconfig`
 * parameter, the planner folds it into a constant, and so can estimate from the column's statistics how
 * many rows a word matches (the user's messages one by one for a common word, the GIN index for a rare one).
 */
const TSQUERY = 'websearch_to_tsquery($1::regconfig, $2)';

/**
 * A page of the caller's hits, best first: the messages of their sessions whose `search_vector` matches,
 * and their sessions whose title does, ranked together by `ts_rank`, then the newest first, then by id
 * (the keyset: rank, created_at, id, all descending). The snippets are made for the page's rows only:
 * `ts_headline` re-parses the text, the costliest step.
 *
 * Written by hand: a UNION of two tables ordered by a computed rank, with a row-value keyset on it, is not
 * something the query builder can say. The rank and the time come back as text so that the cursor
 * carries them exactly (a `real` prints as its shortest exact form; a JavaScript Date drops microseconds).
 * Parameters: $1 language, $2 query text, $3 user id, $4 limit + 1, $5 headline options, and after a
 * cursor $6 rank, $7 created_at, $8 id.
 */
function searchSql(afterCursor: boolean): string {
  return `${PLANNED_PER_CALL}
    WITH hits AS (
      SELECT m.id, m.session_id, m.id AS message_id, m.role, m.content AS text, m.created_at,
             ts_rank(m.search_vector, ${TSQUERY}) AS rank
        FROM chat_sessions s JOIN messages m ON m.session_id = s.id
       WHERE s.user_id = $3 AND m.search_vector @@ ${TSQUERY}
      UNION ALL
      SELECT s.id, s.id, NULL, NULL, s.title, s.created_at, ts_rank(s.search_vector, ${TSQUERY})
        FROM chat_sessions s
       WHERE s.user_id = $3 AND s.search_vector @@ ${TSQUERY}
    ),
    page AS (
      SELECT * FROM hits
      ${afterCursor ? 'WHERE (rank, created_at, id) < ($6::real, $7::timestamptz, $8::uuid)' : ''}
       ORDER BY rank DESC, created_at DESC, id DESC
       LIMIT $4
    )
    SELECT page.id, page.session_id, s.title AS session_title, page.message_id, page.role,
           ts_headline($1::regconfig, page.text, ${TSQUERY}, $5) AS snippet,
           page.created_at::text AS created_at, page.rank::text AS rank
      FROM page JOIN chat_sessions s ON s.id = page.session_id
     ORDER BY page.rank DESC, page.created_at DESC, page.id DESC`;
}

/** A rank as PostgreSQL prints a `real` (`0.0607927`, `1e-20`), within what `real` can read back. */
const RANK_TEXT = /^(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d{1,2})?$/;
const isRankText = (value: unknown): value is string => {
  if (typeof value !== 'string' || !RANK_TEXT.test(value)) return false;
  const rank = Number(value);
  return rank === 0 || (rank >= 1e-37 && rank <= 1e37);
};

type HitKey = [string, string, string];
const isHitKey = (key: unknown[]): key is HitKey =>
  key.length === 3 &&
  isRankText(key[0]) &&
  isCursorTimestamp(key[1]) &&
  typeof key[2] === 'string' &&
  UUID_PATTERN.test(key[2]);

/** Full-text search over one user's messages and session titles. */
@Injectable()
export class SearchService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** The hits of `query` (websearch syntax) among the user's sessions, `limit` at a time, after `cursor`. */
  async search(userId: string, query: string, limit: number, cursor?: string): Promise<SearchPage> {
    const after = cursor ? decodeCursor(cursor, isHitKey) : undefined;
    const parameters = [this.config.searchLanguage, query, userId, limit + 1, HEADLINE_OPTIONS];
    const rows = await this.dataSource.query<HitRow[]>(
      searchSql(after !== undefined),
      after ? [...parameters, ...after] : parameters,
    );
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return {
      hits: rows.slice(0, limit).map((row) => ({
        sessionId: row.session_id,
        sessionTitle: row.session_title,
        messageId: row.message_id,
        role: row.role,
        snippet: row.snippet,
        createdAt: isoFromTimestamptz(row.created_at),
      })),
      nextCursor: last ? encodeCursor([last.rank, isoFromTimestamptz(last.created_at, 6), last.id]) : null,
    };
  }
}
