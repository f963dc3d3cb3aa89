import { Body, Controller, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuthService, TokenPair } from '../auth/auth.service.js';
import { InvalidCredentialsError } from '../auth/credentials.service.js';
import { InvalidRefreshTokenError } from '../auth/tokens/refresh-tokens.service.js';
import { Public } from '../common/decorators.js';
import { SeedResponseException } from '../common/exceptions.js';
import { mapErrors } from '../common/map-errors.js';
import { SeedLoginDto, SeedRefreshDto, SeedVerifyDto, SessionsSeedRegisterDto } from './dto/seed-auth.dto.js';
import { SEED_REGISTRATION_ERRORS } from './seed-auth-errors.js';

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
@Controller(['', 'api'])
export class SessionsSeedAuthController {
  constructor(private readonly auth: AuthService) {}

  /** `{username, email, password}` → 201 `{username, email}`. */
  @Post('register')
  async register(@Body() dto: SessionsSeedRegisterDto): Promise<{ username: string; email: string }> {
    const user = await mapErrors(this.auth.register(dto), SEED_REGISTRATION_ERRORS);
    return { username: user.username, email: user.email ?? '' };
  }

  /** → 200 `{refresh, access}`; 401 `{"error": "Invalid credentials"}`. */
  @Post('login')
  @HttpCode(HttpStatus.OK)
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
@Controller('api/token')
export class SimpleJwtController {
  constructor(private readonly auth: AuthService) {}

  /** → 200 `{refresh, access}`; 401 `{"detail": "No active account found with the given credentials"}`. */
  @Post()
  @HttpCode(HttpStatus.OK)
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

  /** `{refresh}` → 200 `{access, refresh}` (rotated; reuse of a rotated token revokes its family). */
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  async refresh(@Body() dto: SeedRefreshDto): Promise<{ access: string; refresh: string }> {
    const pair = await mapErrors(this.auth.refresh(dto.refresh), [
      [InvalidRefreshTokenError, () => new SeedResponseException(TOKEN_NOT_VALID, 401)],
    ]);
    return { access: pair.accessToken, refresh: pair.refreshToken };
  }

  /** `{token}` → 200 `{}` for a valid access token; else 401 `token_not_valid`. */
  @Post('verify')
  @HttpCode(HttpStatus.OK)
  verify(@Body() dto: SeedVerifyDto): Record<string, never> {
    if (!this.auth.isValidAccessToken(dto.token)) throw new SeedResponseException(TOKEN_NOT_VALID, 401);
    return {};
  }
}
