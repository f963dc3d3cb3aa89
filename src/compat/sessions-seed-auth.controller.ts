import { Body, Controller, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuthService, TokenPair } from '../auth/auth.service.js';
import { InvalidCredentialsError } from '../auth/credentials.service.js';
import { InvalidRefreshTokenError } from '../auth/tokens/refresh-tokens.service.js';
import { ApiSeedError, ApiSeedLoginThrottled } from '../common/api-errors.decorator.js';
import { Public } from '../common/decorators.js';
import { SeedResponseException } from '../common/exceptions.js';
import { mapErrors } from '../common/map-errors.js';
import { SeedLoginDto, SeedRefreshDto, SeedVerifyDto, SessionsSeedRegisterDto } from './dto/seed-auth.dto.js';
import { SeedRegisteredDto, SimpleJwtPairDto } from './dto/seed-responses.dto.js';
import { SEED_REGISTRATION_ERRORS } from './seed-auth-errors.js';
import { ApiDrfBodies } from './dto/drf-fields.js';

const MISSING_FIELD = (field: string) => ({ [field]: ['This field is required.'] });

const TOKEN_REJECTED = ApiSeedError(401, 'The token is invalid, expired or revoked.', {
  detail: 'Token is invalid or expired',
  code: 'token_not_valid',
});

const TOKEN_NOT_VALID = { detail: 'Token is invalid or expired', code: 'token_not_valid' };

interface SimpleJwtPair {
  refresh: string;
  access: string;
}

const simpleJwtPair = (pair: TokenPair): SimpleJwtPair => ({
  refresh: pair.refreshToken,
  access: pair.accessToken,
});

/** The sessions seed's accounts API (SimpleJWT style), at the root and under `/api/`. */
@ApiTags('seed-compatible accounts')
@Public()
@ApiDrfBodies()
@Controller(['', 'api'])
export class SessionsSeedAuthController {
  constructor(private readonly auth: AuthService) {}

  /**
   * Creates an account.
   * @remarks `{username, email, password}` → 201 `{username, email}`.
   */
  @Post('register')
  @ApiCreatedResponse({ type: SeedRegisteredDto, description: 'The account was created.' })
  @ApiSeedError(
    400,
    'A field is missing or invalid, the username is taken, or the password is too weak.',
    { username: ['A user with that username already exists.'] },
    { password: ['This password is too common.'] },
    MISSING_FIELD('password'),
  )
  async register(@Body() dto: SessionsSeedRegisterDto): Promise<{ username: string; email: string }> {
    const user = await mapErrors(this.auth.register(dto), SEED_REGISTRATION_ERRORS);
    return { username: user.username, email: user.email ?? '' };
  }

  /**
   * Logs in.
   * @remarks → 200 `{refresh, access}`; 401 `{"error": "Invalid credentials"}`.
   */
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: SimpleJwtPairDto, description: 'A refresh token and an access token.' })
  @ApiSeedError(400, 'A field is missing or invalid.', MISSING_FIELD('username'))
  @ApiSeedError(401, 'Wrong username or password, or an inactive account (one generic answer).', {
    error: 'Invalid credentials',
  })
  @ApiSeedLoginThrottled()
  async login(@Body() dto: SeedLoginDto, @Req() request: FastifyRequest): Promise<SimpleJwtPair> {
    const pair = await mapErrors(this.auth.login(dto.username, dto.password, request.ip), [
      [InvalidCredentialsError, () => new SeedResponseException({ error: 'Invalid credentials' }, 401)],
    ]);
    return simpleJwtPair(pair);
  }
}

/** SimpleJWT's token endpoints, `/api/token/*`. */
@ApiTags('seed-compatible accounts')
@Public()
@ApiDrfBodies()
@Controller('api/token')
export class SimpleJwtController {
  constructor(private readonly auth: AuthService) {}

  /**
   * Obtains a token pair (SimpleJWT).
   * @remarks → 200 `{refresh, access}`; 401 `{"detail": "No active account found with the given credentials"}`.
   */
  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: SimpleJwtPairDto, description: 'A refresh token and an access token.' })
  @ApiSeedError(400, 'A field is missing or invalid.', MISSING_FIELD('username'))
  @ApiSeedError(401, 'Wrong username or password, or an inactive account (one generic answer).', {
    detail: 'No active account found with the given credentials',
  })
  @ApiSeedLoginThrottled()
  async obtain(@Body() dto: SeedLoginDto, @Req() request: FastifyRequest): Promise<SimpleJwtPair> {
    const pair = await mapErrors(this.auth.login(dto.username, dto.password, request.ip), [
      [
        InvalidCredentialsError,
        () =>
          new SeedResponseException({ detail: 'No active account found with the given credentials' }, 401),
      ],
    ]);
    return simpleJwtPair(pair);
  }

  /**
   * Rotates a refresh token.
   * @remarks `{refresh}` → 200 `{access, refresh}`; reusing a rotated token revokes its family.
   */
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: SimpleJwtPairDto, description: 'A new access token and the next refresh token.' })
  @ApiSeedError(400, 'The field is missing or invalid.', MISSING_FIELD('refresh'))
  @TOKEN_REJECTED
  async refresh(@Body() dto: SeedRefreshDto): Promise<{ access: string; refresh: string }> {
    const pair = await mapErrors(this.auth.refresh(dto.refresh), [
      [InvalidRefreshTokenError, () => new SeedResponseException(TOKEN_NOT_VALID, 401)],
    ]);
    return { access: pair.accessToken, refresh: pair.refreshToken };
  }

  /**
   * Checks an access token.
   * @remarks `{token}` → 200 `{}` when valid; else 401 `token_not_valid`.
   */
  @Post('verify')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({
    description: 'The token is a valid access token.',
    schema: { type: 'object', additionalProperties: false, example: {} },
  })
  @ApiSeedError(400, 'The field is missing or invalid.', MISSING_FIELD('token'))
  @TOKEN_REJECTED
  async verify(@Body() dto: SeedVerifyDto): Promise<Record<string, never>> {
    if (!(await this.auth.isValidAccessToken(dto.token)))
      throw new SeedResponseException(TOKEN_NOT_VALID, 401);
    return {};
  }
}
