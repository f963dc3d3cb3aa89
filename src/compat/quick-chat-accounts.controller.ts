import { Body, Controller, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { AuthUser } from '../auth/auth-user.js';
import { AuthService } from '../auth/auth.service.js';
import { InvalidCredentialsError } from '../auth/credentials.service.js';
import { ApiSeedAuthRequired, ApiSeedError, ApiSeedLoginThrottled } from '../common/api-errors.decorator.js';
import { ApiCallerAuth, CurrentUser, Public } from '../common/decorators.js';
import { SeedResponseException } from '../common/exceptions.js';
import { mapErrors } from '../common/map-errors.js';
import { QuickChatCredentialsDto, QuickChatRegisterDto } from './dto/seed-auth.dto.js';
import {
  QuickChatLoggedOutDto,
  QuickChatLoginDto,
  QuickChatRegisteredDto,
} from './dto/seed-responses.dto.js';
import { SEED_REGISTRATION_ERRORS } from './seed-auth-errors.js';
import { ApiDrfBodies } from './dto/drf-fields.js';

/** The quick-chat seed's accounts API (`/api/v1/accounts/*`), byte for byte. */
@ApiTags('seed-compatible accounts')
@ApiDrfBodies()
@Controller('api/v1/accounts')
export class QuickChatAccountsController {
  constructor(private readonly auth: AuthService) {}

  /**
   * Creates an account.
   * @remarks `{username, email, password1, password2}` → 201 `{"message": "User created successfully."}`.
   */
  @Public()
  @Post('register')
  @ApiCreatedResponse({ type: QuickChatRegisteredDto, description: 'The account was created.' })
  @ApiSeedError(
    400,
    'A field is missing or invalid, the passwords differ, the username is taken, or the password is too weak.',
    { password: ['Passwords do not match.'] },
    { username: ['A user with that username already exists.'] },
    { password1: ['This field is required.'] },
  )
  async register(@Body() dto: QuickChatRegisterDto): Promise<{ message: string }> {
    if (dto.password1 !== dto.password2)
      throw new SeedResponseException({ password: ['Passwords do not match.'] }, 400);
    await mapErrors(
      this.auth.register({ username: dto.username, email: dto.email, password: dto.password1 }),
      SEED_REGISTRATION_ERRORS,
    );
    return { message: 'User created successfully.' };
  }

  /**
   * Logs in and returns a personal token.
   * @remarks Send the token as `Authorization: Token <token>`; it works until logout.
   */
  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: QuickChatLoginDto, description: 'Logged in.' })
  @ApiSeedError(
    400,
    'Wrong username or password, or an inactive account (one generic answer); a missing or empty field; a field PostgreSQL cannot store.',
    { error: 'Invalid credentials.' },
    { error: 'Username and password are required.' },
    { username: ['Null characters are not allowed.'] },
  )
  @ApiSeedLoginThrottled()
  async login(
    @Body() dto: QuickChatCredentialsDto,
    @Req() request: FastifyRequest,
  ): Promise<{ token: string; user_id: string; username: string; message: string }> {
    const { user, token } = await mapErrors(
      this.auth.loginWithApiToken(dto.username, dto.password, request.ip),
      [[InvalidCredentialsError, () => new SeedResponseException({ error: 'Invalid credentials.' }, 400)]],
    );
    return { token, user_id: user.id, username: user.username, message: 'User logged in successfully.' };
  }

  /** Revokes the token used (or, with a Bearer token, its login's refresh family). */
  @ApiCallerAuth('token')
  @Post('logout')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: QuickChatLoggedOutDto, description: 'The token no longer works.' })
  @ApiSeedAuthRequired('quick-chat')
  async logout(@CurrentUser() caller: AuthUser): Promise<{ message: string }> {
    await this.auth.logout(caller);
    return { message: 'Successfully logged out.' };
  }
}
