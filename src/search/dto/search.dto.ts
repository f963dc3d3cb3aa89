import { ApiProperty } from '@nestjs/swagger';
import { PageQueryDto } from '../../chat-sessions/dto/chat-session.dto.js';
import { ApiDateTime, ApiUuid } from '../../common/api-property-formats.js';
import { NotBlank, RequiredString } from '../../common/dto-validators.js';
import type { MessageRole } from '../../messages/message.js';
import type { SearchHit } from '../search.service.js';

/** The longest `q` accepted: a search box's worth, far above any real query. */
export const MAX_QUERY_LENGTH = 500;

/** The start and end of a match in a snippet. */
export const MATCH_START = '⟦';
export const MATCH_END = '⟧';

export class SearchQueryDto extends PageQueryDto {
  /**
   * What to look for, as in a web search engine (PostgreSQL's `websearch_to_tsquery`): words (all of them
   * must occur, in any order), `"a quoted phrase"` (those words in that order), `or` between alternatives,
   * `-word` to leave out what contains it. 1–500 characters, not blank. Words are compared in the server's
   * SEARCH_LANGUAGE (`simple` by default: exact words, case-insensitive, no stemming).
   * @example "keyset pagination -offset"
   */
  @NotBlank()
  @RequiredString(1, MAX_QUERY_LENGTH) // bottom-most: checked first
  q!: string;

  /** Always class-validator's way: the inherited shortcut knows no `q`, so it would let a missing one through. */
  static override fastParse(): undefined {
    return undefined;
  }
}

export class SearchHitDto {
  /** The session the hit is in. */
  @ApiUuid()
  session_id!: string;

  /** That session's title (null while it has none). */
  session_title!: string | null;

  /** The message that matched; null when the hit is the session's title. */
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  message_id!: string | null;

  /** The matching message's role; null when the hit is the session's title. */
  @ApiProperty({ enum: ['user', 'assistant'], nullable: true, type: String })
  role!: MessageRole | null;

  /**
   * Where the text matched: up to two fragments of about 15–35 words of the message (or the whole title),
   * joined by ` … `, each match between `⟦` and `⟧` (U+27E6, U+27E7). Plain text: not HTML-escaped.
   * @example "how ⟦keyset⟧ ⟦pagination⟧ differs from offset pagination"
   */
  snippet!: string;

  /** When the message was written; for a title hit, when the session was created. */
  @ApiDateTime()
  created_at!: string;

  static from(hit: SearchHit): SearchHitDto {
    return {
      session_id: hit.sessionId,
      session_title: hit.sessionTitle,
      message_id: hit.messageId,
      role: hit.role,
      snippet: hit.snippet,
      created_at: hit.createdAt,
    };
  }
}

export class SearchPageDto {
  /** The best matches first (relevance, then the newest). */
  data!: SearchHitDto[];
  /** Pass as `cursor` (with the same `q`) for the next page; null on the last page. */
  next_cursor!: string | null;
}
