import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../../chat-sessions/dto/chat-session.dto.js';
import { ApiDateTime, ApiUuid } from '../../common/api-property-formats.js';
import { NotBlank, RequiredString } from '../../common/dto-validators.js';
import { hasOnlyKeys } from '../../common/validation.js';
import { LLM_PROVIDER_NAMES, type LlmProviderName } from '../../config/llm-provider-names.js';
import { MODEL_NAME } from '../../llm/model-name.js';
import type { ListedMessage, MessageRole, MessageStatus } from '../message.js';

export const MAX_MESSAGE_LENGTH = 100_000;

/** A question's text: the body of an edit. */
export class EditMessageDto {
  /** The user's message: 1–100,000 characters, not blank. */
  @NotBlank()
  @RequiredString(1, MAX_MESSAGE_LENGTH) // bottom-most: checked first
  content!: string;
}

export class SendMessageDto extends EditMessageDto {
  /**
   * The answer to ask after (a branch from an earlier point); null: a new first question. Omitted: after
   * the session's active leaf.
   */
  @IsOptional()
  @IsUUID('all', { message: 'parent_id must be a message id (a UUID)' })
  @ApiProperty({ format: 'uuid', nullable: true, required: false })
  parent_id?: string | null;

  /** See {@link FastParsable}. */
  static fastParse(body: unknown): SendMessageDto | undefined {
    if (!hasOnlyKeys(body, ['content'])) return undefined;
    const { content } = body;
    if (typeof content !== 'string' || content.length > MAX_MESSAGE_LENGTH) return undefined;
    if (!/\S/.test(content)) return undefined;
    const dto = new SendMessageDto();
    dto.content = content;
    return dto;
  }
}

/** Optionally, who answers this time: the session's settings do not change. */
export class RegenerateMessageDto {
  /** `openai`, `gemini`, `anthropic` or `echo`, configured on the server; omitted: the session's provider. */
  @IsOptional()
  @IsIn(LLM_PROVIDER_NAMES)
  provider?: LlmProviderName;

  /** A model of that provider; omitted: the session's model (or, with another provider, its default). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(MODEL_NAME, { message: 'model may contain only letters, digits and . : / @ - _' })
  model?: string;
}

/** The page query of a session's messages: a path, by default the active one. */
export class MessagePageQueryDto extends PageQueryDto {
  /** A message of the session: the page shows the path from the root to it instead of the active path. */
  @IsOptional()
  @IsUUID('all', { message: 'leaf must be a message id (a UUID)' })
  @ApiProperty({ format: 'uuid', required: false })
  leaf?: string;
}

/** The query of a resumed stream. */
export class ResumeQueryDto {
  /** The `id:` of the last event the client has, for clients that cannot set `Last-Event-ID` (which wins). */
  @IsOptional()
  @Matches(/^\d{1,15}$/, { message: 'last_event_id must be the id of an event (a whole number)' })
  last_event_id?: string;
}

export class UsageDto {
  prompt_tokens!: number | null;
  completion_tokens!: number | null;
}

export class MessageDto {
  @ApiUuid()
  id!: string;

  @ApiUuid()
  session_id!: string;

  /** The message this one follows: null for a first question; an answer's question; a question's previous answer. */
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  parent_id!: string | null;

  /** The versions at this point of the conversation (messages of the same parent), oldest first, this one included. */
  @ApiProperty({ type: [String], format: 'uuid' })
  sibling_ids!: string[];

  /** This message's position in `sibling_ids`, from 0 (a UI shows "sibling_index + 1 / sibling_count"). */
  sibling_index!: number;

  sibling_count!: number;

  /** `user` or `assistant` */
  role!: MessageRole;
  content!: string;
  /**
   * `complete`, `streaming` (an answer being generated), `failed`, or `stopped` (an answer the user
   * stopped, with its partial text; it stays in later contexts)
   */
  status!: MessageStatus;
  provider!: string | null;
  model!: string | null;
  usage!: UsageDto | null;
  /** Why the answer failed, when it did. */
  error!: string | null;

  @ApiDateTime()
  created_at!: string;

  static from(message: ListedMessage): MessageDto {
    const hasUsage = message.promptTokens !== null || message.completionTokens !== null;
    return {
      id: message.id,
      session_id: message.sessionId,
      parent_id: message.parentId,
      sibling_ids: message.siblingIds,
      sibling_index: message.siblingIds.indexOf(message.id),
      sibling_count: message.siblingIds.length,
      role: message.role,
      content: message.content,
      status: message.status,
      provider: message.provider,
      model: message.model,
      usage: hasUsage
        ? { prompt_tokens: message.promptTokens, completion_tokens: message.completionTokens }
        : null,
      error: message.error,
      created_at: message.createdAt,
    };
  }
}

export class MessagePageDto {
  /** Oldest first. */
  data!: MessageDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor!: string | null;
}

export class ChatTurnDto {
  user_message!: MessageDto;
  assistant_message!: MessageDto;
}
