import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ApiDateTime, ApiUuid } from '../../../common/api-property-formats.js';
import { NotBlank, RequiredString } from '../../../common/dto-validators.js';
import type { ApiKeyRecord } from '../api-keys.service.js';

export class CreateApiKeyDto {
  /** What the key is for, e.g. `laptop` or `open-webui`: 1–100 characters. */
  @NotBlank()
  @RequiredString(1, 100) // bottom-most: checked first
  name!: string;

  /** The key stops working after this many days (1–3650); omitted: it never expires. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expires_in_days?: number;
}

/** An API key as lists show it: never its secret. */
export class ApiKeyDto {
  @ApiUuid()
  id!: string;

  name!: string;

  /** The key's first characters (`cbk_` and 8 more), to recognise it by. */
  @ApiProperty({ example: 'cbk_Xq3vT9aB' })
  prefix!: string;

  @ApiDateTime()
  created_at!: string;

  /** When it last authenticated a request (to the minute); null: never used. */
  @ApiDateTime()
  last_used_at!: string | null;

  /** When it stops working; null: never. */
  @ApiDateTime()
  expires_at!: string | null;

  static from(key: ApiKeyRecord): ApiKeyDto {
    return {
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      created_at: key.createdAt.toISOString(),
      last_used_at: key.lastUsedAt?.toISOString() ?? null,
      expires_at: key.expiresAt?.toISOString() ?? null,
    };
  }
}

/** A key just created, with its secret: shown this once, stored only as a digest. */
export class CreatedApiKeyDto extends ApiKeyDto {
  /** The key itself, `cbk_` and 43 characters: send it as `Authorization: Bearer <key>` to the gateway. */
  @ApiProperty({ example: 'cbk_Xq3vT9aBkLm2Qw8RzY4nPc6DfH1sJ5tUe0gVi7oA_-w' })
  key!: string;
}

export class ApiKeyListDto {
  /** The caller's live keys (not revoked, not expired), newest first. */
  data!: ApiKeyDto[];
}
