import { Type } from 'class-transformer';
import { ApiProperty } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { ApiDateTime, ApiUuid } from '../../common/api-property-formats.js';
import { hasOnlyKeys } from '../../common/validation.js';
import { LLM_PROVIDER_NAMES, type LlmProviderName } from '../../config/llm-provider-names.js';
import { MODEL_NAME } from '../../llm/model-name.js';
import type { ChatSessionRecord } from '../chat-session.js';

export class CreateChatSessionDto {
  /** Up to 200 characters; when omitted, the first answered message names the session. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  title?: string | null;

  /** Instructions given to the model before the conversation; up to 20,000 characters. */
  @IsOptional()
  @IsString()
  @MaxLength(20000)
  system_prompt?: string | null;

  /** `openai`, `gemini`, `anthropic` or `echo`; must be configured on the server. Null or omitted: the server's default. */
  @IsOptional()
  @IsIn(LLM_PROVIDER_NAMES)
  provider?: LlmProviderName | null;

  /**
   * A model of that provider (Gemini's: letters, digits and . - _ only; Anthropic's: no `/`); omitted: the
   * provider's configured default.
   */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(MODEL_NAME, { message: 'model may contain only letters, digits and . : / @ - _' })
  model?: string | null;
}

export class UpdateChatSessionDto extends CreateChatSessionDto {
  /**
   * A message of the session: the active path becomes the newest path through it (from it, the newest
   * reply at each step). Used to switch between the versions of an edited or regenerated message.
   */
  @ValidateIf((dto: UpdateChatSessionDto) => dto.active_leaf_id !== undefined)
  @IsUUID('all', { message: 'active_leaf_id must be a message id (a UUID)' })
  @ApiProperty({ format: 'uuid', required: false })
  active_leaf_id?: string;
}

export const PAGE_LIMIT_MAX = 100;
export const CURSOR_MAX_LENGTH = 200;
/** A limit written plainly: 1 to 100, no sign, no leading zero (anything else takes the validators' path). */
const PLAIN_LIMIT = /^(?:[1-9]\d?|100)$/;

export class PageQueryDto {
  /** 1–100 */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAGE_LIMIT_MAX)
  limit?: number;

  /** The `next_cursor` of the previous page. */
  @IsOptional()
  @IsString()
  @MaxLength(CURSOR_MAX_LENGTH)
  cursor?: string;

  /** See {@link FastParsable}. */
  static fastParse(query: unknown): PageQueryDto | undefined {
    if (!hasOnlyKeys(query, ['limit', 'cursor'])) return undefined;
    const { limit, cursor } = query;
    const dto = new PageQueryDto();
    if (limit !== undefined) {
      if (typeof limit !== 'string' || !PLAIN_LIMIT.test(limit)) return undefined;
      dto.limit = Number(limit);
    }
    if (cursor !== undefined) {
      if (typeof cursor !== 'string' || cursor.length > CURSOR_MAX_LENGTH) return undefined;
      dto.cursor = cursor;
    }
    return dto;
  }
}

export class ChatSessionDto {
  @ApiUuid()
  id!: string;

  title!: string | null;
  system_prompt!: string | null;
  /** The provider asked for, or null for the server's default. */
  provider!: LlmProviderName | null;
  model!: string | null;
  message_count!: number;

  @ApiDateTime()
  created_at!: string;

  /** The last activity: creation, a change, or a message. */
  @ApiDateTime()
  updated_at!: string;

  /** The last message of the path the session shows (see `GET …/messages`); null while it has none. */
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  active_leaf_id!: string | null;

  static from(session: ChatSessionRecord): ChatSessionDto {
    return {
      id: session.id,
      title: session.title,
      system_prompt: session.systemPrompt,
      provider: session.provider,
      model: session.model,
      message_count: session.messageCount,
      created_at: session.createdAt,
      updated_at: session.updatedAt,
      active_leaf_id: session.activeLeafId,
    };
  }
}

export class ChatSessionPageDto {
  data!: ChatSessionDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor!: string | null;
}
