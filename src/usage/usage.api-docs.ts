import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ApiSeedError, type ProblemResponse } from '../common/api-errors.decorator.js';
import { ApiDateTime } from '../common/api-property-formats.js';
import { ProblemDetailsDto } from '../common/dto/problem-details.dto.js';
import { QUOTA_EXCEEDED_TYPE } from './quota-exceeded.exception.js';

/** A turn refused by a token budget (`type` …/quota-exceeded) or by the per-minute limit (`about:blank`). */
export class TurnRefusedProblemDto extends ProblemDetailsDto {
  /** Budgets only: `daily` or `monthly`. */
  @ApiProperty({ enum: ['daily', 'monthly'], required: false })
  budget?: 'daily' | 'monthly';

  /** Budgets only: the budget's limit, in tokens. */
  limit?: number;

  /** Budgets only: the tokens used in its window. */
  used?: number;

  /** Budgets only: when the window starts again. */
  @ApiDateTime()
  @ApiProperty({ required: false, format: 'date-time' })
  resets_at?: string;
}

const RESETS_AT = '2026-12-05T00:00:00.000Z';
const QUOTA_DETAIL = `The daily token budget is used up: 1012 of 1000 tokens. It resets at ${RESETS_AT}.`;
const DESCRIPTION =
  'Refused before anything is stored or a provider is called: the caller used up a token budget ' +
  '(`type` `/problems/quota-exceeded`, with `budget`, `limit`, `used`, `resets_at`; `Retry-After` runs until ' +
  'the budget resets), or started more than `CHAT_RATE_LIMIT` turns this minute (admins are exempt).';

/** The 429 of a native chat turn. */
export const ApiTurnRefused = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiExtraModels(TurnRefusedProblemDto),
    ApiResponse({
      status: 429,
      description: DESCRIPTION,
      headers: {
        'Retry-After': {
          description: 'Seconds to wait before trying again.',
          required: true,
          schema: { type: 'integer' },
        },
      },
      content: {
        'application/problem+json': {
          schema: { $ref: getSchemaPath(TurnRefusedProblemDto) },
          examples: {
            budget: {
              value: {
                type: QUOTA_EXCEEDED_TYPE,
                title: 'Too Many Requests',
                status: 429,
                detail: QUOTA_DETAIL,
                budget: 'daily',
                limit: 1000,
                used: 1012,
                resets_at: RESETS_AT,
                request_id: '3f2a8c1e-5b7d-4e0a-9c6f-1d2e3f4a5b6c',
              },
            },
            'rate limit': {
              value: {
                type: 'about:blank',
                title: 'Too Many Requests',
                status: 429,
                detail: 'Too many messages: at most 30 a minute. Try again in 42 s.',
                request_id: '3f2a8c1e-5b7d-4e0a-9c6f-1d2e3f4a5b6c',
              },
            },
          },
        },
      },
    }),
  );

/** The 429 of a seed chat route, in the seed's shapes: its chat error for a budget, DRF's throttling for the rate. */
export const ApiSeedTurnRefused = (): MethodDecorator & ClassDecorator =>
  ApiSeedError(
    429,
    DESCRIPTION,
    { error: QUOTA_DETAIL },
    { detail: 'Request was throttled. Expected available in 42 seconds.' },
  );

/** The 400 of a usage report's period. */
export const BAD_PERIOD: ProblemResponse = [
  400,
  '`from` or `to` is not a date written YYYY-MM-DD, `from` is after `to`, they are more than 366 days apart, or `group` is neither `day` nor `model`.',
  {
    detail: 'Invalid from.',
    errors: [{ field: 'from', message: 'from must be a date written YYYY-MM-DD (UTC)' }],
  },
];
