import { ApiProperty, OmitType, PickType } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { ApiDateTime, ApiUuid } from '../../common/api-property-formats.js';
import { ProblemDetailsDto } from '../../common/dto/problem-details.dto.js';
import { LLM_PROVIDER_NAMES } from '../../config/llm-provider-names.js';
import type { LlmProviderName } from '../../llm/llm-provider.js';
import { MessageDto } from '../../messages/dto/message.dto.js';

/** The version of the export format: an import reads this one. */
export const EXPORT_FORMAT = 'chatbot-export/1';

export class ExportQueryDto {
  /** `json` (default): the whole tree, importable; `markdown`: the active path, to read. */
  @IsOptional()
  @IsIn(['json', 'markdown'])
  format?: 'json' | 'markdown';
}

/**
 * A message of an exported session: a message as the API shows it, without its siblings (the tree says
 * them). A `streaming` answer (being generated when exported) is imported as `failed`.
 */
export class ExportedMessageDto extends PickType(MessageDto, [
  'id',
  'parent_id',
  'role',
  'content',
  'status',
  'provider',
  'model',
  'usage',
  'error',
  'created_at',
] as const) {}

/**
 * One chat session with its whole tree of messages: `GET /api/v1/chat-sessions/{id}/export`, one line of
 * `GET /api/v1/export`, and what `POST /api/v1/import` reads back.
 */
export class SessionExportDto {
  /** Always `chatbot-export/1`. */
  @ApiProperty({ enum: [EXPORT_FORMAT] })
  format!: typeof EXPORT_FORMAT;

  @ApiUuid()
  id!: string;

  title!: string | null;
  system_prompt!: string | null;
  @ApiProperty({ enum: LLM_PROVIDER_NAMES, nullable: true, type: String })
  provider!: LlmProviderName | null;
  model!: string | null;

  /** The last message of the path the session shows. */
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  active_leaf_id!: string | null;

  /** Where the session was imported from (`chatgpt:<id>`, `chatbot:<id>`); null for a session made here. */
  source_id!: string | null;

  @ApiDateTime()
  created_at!: string;

  @ApiDateTime()
  updated_at!: string;

  /** Every message of the tree, parents before children, siblings oldest first. */
  messages!: ExportedMessageDto[];
}

/** What an import left out on purpose. */
export class ImportSkipsDto {
  /** Conversations already imported into this account (by their source id): not imported again. */
  duplicates!: number;
  /** Messages left out: system, tool and hidden messages, nodes without a message, messages without text. */
  messages!: number;
  /** Non-text parts (images, files) left out of messages whose text was kept. */
  parts!: number;
}

/** A conversation of the file that was not imported, and why. */
export class ImportErrorDto {
  /** Its position in the file, from 0. */
  index!: number;
  title!: string | null;
  reason!: string;
}

export class ImportReportDto {
  /** Conversations stored, each a new session. */
  imported!: number;
  /** Conversations refused (each stored nothing); the first 100 are in `errors`. */
  failed!: number;
  skipped!: ImportSkipsDto;
  errors!: ImportErrorDto[];
}

/**
 * A conversation that could not be imported, in the 400 of a file none of which could be: `{index, title,
 * reason}` as in a report, and `{field: "[index]", message: reason}` as in any other 400.
 */
export class ImportFailureDto extends ImportErrorDto {
  /**
   * The conversation's position as a field name, as any 400 names its fields.
   * @example "[0]"
   */
  field!: string;
  /** The same as `reason`. */
  message!: string;
}

/** The 400 of a file none of whose conversations could be imported: each one in `errors`. */
export class ImportProblemDto extends OmitType(ProblemDetailsDto, ['errors'] as const) {
  /** Each conversation of the file (the first 100), and why it could not be imported. */
  errors?: ImportFailureDto[];
}
