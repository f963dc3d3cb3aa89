import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Post,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentUser, Public } from '../common/decorators.js';
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

  /** Creates an account. 409 when the username is taken; 400 naming the field for a weak password. */
  @Public()
  @Post('register')
  async register(@Body() dto: RegisterDto): Promise<UserDto> {
    return UserDto.from(await withNativeAuthErrors(this.auth.register(dto)));
  }

  /** Exchanges a username and password for an access token and a refresh token. */
  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  async login(@Body() dto: LoginDto, @Req() request: FastifyRequest): Promise<TokenPairDto> {
    return TokenPairDto.from(
      await withNativeAuthErrors(this.auth.login(dto.username, dto.password, request.ip)),
    );
  }

  /** Rotates a refresh token. Reusing a rotated one revokes its whole family. */
  @Public()
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  async refresh(@Body() dto: RefreshDto): Promise<TokenPairDto> {
    return TokenPairDto.from(await withNativeAuthErrors(this.auth.refresh(dto.refresh_token)));
  }

  /** Revokes the login's refresh family; the access token lapses at its expiry. */
  @ApiBearerAuth('bearer')
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  async logout(@CurrentUser() caller: AuthUser, @Body() dto: LogoutDto): Promise<void> {
    await this.auth.logout(caller, dto.refresh_token);
  }

  /** 200 `{}` when the token is a valid access token, else 401. */
  @Public()
  @Post('verify')
  @HttpCode(HttpStatus.OK)
  verify(@Body() dto: VerifyDto): Record<string, never> {
    if (!this.auth.isValidAccessToken(dto.token))
      throw new UnauthorizedException('Token is invalid or expired.');
    return {};
  }

  /** The caller's account. */
  @ApiBearerAuth('bearer')
  @Get('me')
  async me(@CurrentUser() caller: AuthUser): Promise<UserDto> {
    const user = await this.users.findById(caller.id);
    if (!user) throw new AuthenticationFailedException('invalid');
    return UserDto.from(user);
  }
}
