import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { ApiProblemResponses } from '../common/api-errors.decorator.js';
import { ApiCallerAuth, CurrentUser } from '../common/decorators.js';
import { SearchHitDto, SearchPageDto, SearchQueryDto } from './dto/search.dto.js';
import { SearchService } from './search.service.js';

@ApiTags('search')
@ApiCallerAuth()
@ApiProblemResponses(401)
@Controller('api/v1/search')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  /**
   * Full-text search over the caller's messages (every branch) and session titles, best matches first.
   * @remarks
   * Ranked by relevance (`ts_rank`), then the newest first; keyset pagination (`limit` 1–100, default 20,
   * `cursor` with the same `q`). A message hit names its message and role; a title hit has `message_id`
   * and `role` null, and its snippet is the title. In each snippet the matches are marked `⟦…⟧`.
   * A query of stop words or punctuation only finds nothing (200, empty `data`).
   */
  @Get()
  @ApiProblemResponses([
    400,
    '`q` missing, blank or over 500 characters, `limit` outside 1–100, or a malformed `cursor`.',
    { detail: 'Invalid q.', errors: [{ field: 'q', message: 'q must not be empty' }] },
  ])
  async find(@CurrentUser() caller: AuthUser, @Query() query: SearchQueryDto): Promise<SearchPageDto> {
    const page = await this.search.search(caller.id, query.q, query.limit ?? 20, query.cursor);
    return { data: page.hits.map((hit) => SearchHitDto.from(hit)), next_cursor: page.nextCursor };
  }
}
