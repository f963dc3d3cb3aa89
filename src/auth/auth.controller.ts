import { Body, Controller, Get, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblemResponses } from '../common/api-errors.decorator.js';
import { ApiCallerAuth, CurrentUser, Public } from '../common/decorators.js';
import { UsersService } from '../users/users.service.js';
import type { AuthUser } from './auth-user.js';
import { AuthService } from './auth.service.js';
import {
  LoginDto,
  LogoutDto,
  RefreshDto,
  RegisterDto,
  TokenPairDto,
  UserDto,
  VerifyDto,
} from './dto/auth.dto.js';
import { AuthenticationFailedException } from './auth.exceptions.js';
import { withNativeAuthErrors } from './native-auth-errors.js';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  /**
   * Creates an account.
   * @remarks 409 when the username is taken; 400 naming the field for a weak password.
   */
  @Public()
  @Post('register')
  @ApiProblemResponses(
    [400, 'A field is missing or invalid, or the password is too weak (each reason under `password`).'],
    409,
  )
  async register(@Body() dto: RegisterDto): Promise<UserDto> {
    return UserDto.from(await withNativeAuthErrors(this.auth.register(dto)));
  }

  /** Exchanges a username and password for an access token and a refresh token. */
  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiProblemResponses(
    400,
    [
      401,
      'Wrong username or password, or an inactive account: one generic answer for all.',
      { detail: 'Invalid username or password.' },
    ],
    429,
  )
  async login(@Body() dto: LoginDto, @Req() request: FastifyRequest): Promise<TokenPairDto> {
    return TokenPairDto.from(
      await withNativeAuthErrors(this.auth.login(dto.username, dto.password, request.ip)),
    );
  }

  /** Rotates a refresh token. Reusing a rotated one revokes its whole family. */
  @Public()
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ApiProblemResponses(400, [
    401,
    'The refresh token is invalid, expired or revoked, or was already used (its family is revoked).',
    { detail: 'Invalid or expired refresh token.' },
  ])
  async refresh(@Body() dto: RefreshDto): Promise<TokenPairDto> {
    return TokenPairDto.from(await withNativeAuthErrors(this.auth.refresh(dto.refresh_token)));
  }

  /** Revokes the login's refresh family; the access token lapses at its expiry. */
  @ApiCallerAuth()
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiProblemResponses(400, 401)
  async logout(@CurrentUser() caller: AuthUser, @Body() dto: LogoutDto): Promise<void> {
    await this.auth.logout(caller, dto.refresh_token);
  }

  /**
   * Checks an access token.
   * @remarks 200 `{}` when it is a valid access token, else 401.
   */
  @Public()
  @Post('verify')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({
    description: 'The token is a valid access token.',
    schema: { type: 'object', additionalProperties: false, example: {} },
  })
  @ApiProblemResponses(400, [
    401,
    'Not a valid access token (forged, expired, revoked, or a refresh token).',
    { detail: 'Token is invalid or expired.' },
  ])
  async verify(@Body() dto: VerifyDto): Promise<Record<string, never>> {
    if (!(await this.auth.isValidAccessToken(dto.token)))
      throw new AuthenticationFailedException('invalid', 'Token is invalid or expired.');
    return {};
  }

  /** The caller's account. */
  @ApiCallerAuth()
  @Get('me')
  @ApiProblemResponses(401)
  async me(@CurrentUser() caller: AuthUser): Promise<UserDto> {
    const user = await this.users.findById(caller.id);
    if (!user) throw new AuthenticationFailedException('invalid');
    return UserDto.from(user);
  }
}
