import { ApiDateTime, ApiUuid } from '../../common/api-property-formats.js';
import { NotBlank, RequiredString } from '../../common/dto-validators.js';
import { hasOnlyKeys } from '../../common/validation.js';
import type { ListedMessage, MessageRole, MessageStatus } from '../message.js';

export const MAX_MESSAGE_LENGTH = 100_000;

export class SendMessageDto {
  /** The user's message: 1–100,000 characters, not blank. */
  @NotBlank()
  @RequiredString(1, MAX_MESSAGE_LENGTH) // bottom-most: checked first
  content!: string;

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

export class UsageDto {
  prompt_tokens!: number | null;
  completion_tokens!: number | null;
}

export class MessageDto {
  @ApiUuid()
  id!: string;

  @ApiUuid()
  session_id!: string;

  /** `user` or `assistant` */
  role!: MessageRole;
  content!: string;
  /** `complete`, `streaming` (an answer being generated) or `failed` */
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
