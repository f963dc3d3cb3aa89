import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses, type ProblemResponse } from '../../common/api-errors.decorator.js';
import { ApiCallerAuth, CurrentUser } from '../../common/decorators.js';
import type { AuthUser } from '../auth-user.js';
import { ApiKeysService, MAX_LIVE_KEYS } from './api-keys.service.js';
import { ApiKeyDto, ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto.js';

const KEY_NOT_FOUND: ProblemResponse = [
  404,
  "No such API key for the caller: unknown, malformed, already revoked, or another user's id.",
  { detail: 'API key not found.' },
];

/**
 * Personal API keys, for the OpenAI-compatible gateway. Managed with an access token (or a personal
 * token); an API key itself is refused here, as on every route but the gateway's.
 */
@ApiTags('api keys')
@ApiCallerAuth()
@ApiProblemResponses(401)
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** Creates a key and returns it, with its secret `key`, this once: only a digest of it is stored. */
  @Post()
  @ApiProblemResponses(
    [
      400,
      '`name` missing or blank, or `expires_in_days` outside 1–3650.',
      { detail: 'Invalid name.', errors: [{ field: 'name', message: 'name must not be blank' }] },
    ],
    [
      409,
      `The caller already holds ${MAX_LIVE_KEYS} live keys; revoke one first.`,
      { detail: `You already have ${MAX_LIVE_KEYS} API keys; revoke one first.` },
    ],
  )
  async create(@CurrentUser() caller: AuthUser, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const { key, secret } = await this.apiKeys.create(caller.id, dto.name, dto.expires_in_days);
    return { ...ApiKeyDto.from(key), key: secret };
  }

  /** The caller's live keys (not revoked, not expired), newest first; never their secrets. */
  @Get()
  async list(@CurrentUser() caller: AuthUser): Promise<ApiKeyListDto> {
    return { data: (await this.apiKeys.listLive(caller.id)).map((key) => ApiKeyDto.from(key)) };
  }

  /** Revokes a key: it stops working at once. */
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiParam({ name: 'id', format: 'uuid', description: 'The API key id.' })
  @ApiProblemResponses(KEY_NOT_FOUND)
  async revoke(@CurrentUser() caller: AuthUser, @Param('id') id: string): Promise<void> {
    await this.apiKeys.revoke(caller.id, id);
  }
}
