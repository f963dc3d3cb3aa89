import { IsEmail, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ApiDateTime, ApiUuid } from '../../common/api-property-formats.js';
import { RequiredString } from '../../common/dto-validators.js';
import type { User, UserRole } from '../../users/user.entity.js';
import { NormalizedUsername } from '../../users/username.js';
import type { TokenPair } from '../auth.service.js';

/** Django's username rule: Unicode letters and digits, and @ . + - _ */
export const USERNAME_PATTERN = /^[\p{L}\p{M}\p{N}_.@+-]+$/u;

export class RegisterDto {
  /** 1–150 letters, digits and @.+-_; unique case-insensitively. */
  @Matches(USERNAME_PATTERN, { message: 'username may contain only letters, digits and @.+-_' })
  @RequiredString(1, 150) // bottom-most: checked first
  @NormalizedUsername()
  username!: string;

  /** 8–128 characters, not all digits, not a common password, not similar to the username. */
  @RequiredString(1, 1024)
  password!: string;

  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;
}

export class LoginDto {
  @RequiredString(1, 150)
  @NormalizedUsername()
  username!: string;

  @RequiredString(1, 1024)
  password!: string;
}

export class RefreshDto {
  /** The refresh token of the last login or refresh; it is rotated (single use). */
  @RequiredString(1, 4096)
  refresh_token!: string;
}

export class LogoutDto {
  /** The refresh token to revoke with its family; by default the family of the access token used. */
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  refresh_token?: string;
}

export class VerifyDto {
  /** An access token. */
  @RequiredString(1, 4096)
  token!: string;
}

export class UserDto {
  @ApiUuid()
  id!: string;

  username!: string;
  email!: string | null;
  /** `user` or `admin` */
  role!: UserRole;

  @ApiDateTime()
  created_at!: string;

  static from(user: User): UserDto {
    return {
      id: user.id,
      username: user.username,
      email: user.email,
      role: user.role,
      created_at: user.createdAt.toISOString(),
    };
  }
}

export class TokenPairDto {
  access_token!: string;
  refresh_token!: string;
  /** Always `Bearer`. */
  token_type!: 'Bearer';
  /** Lifetime of the access token in seconds. */
  expires_in!: number;
  user!: UserDto;

  static from(pair: TokenPair): TokenPairDto {
    return {
      access_token: pair.accessToken,
      refresh_token: pair.refreshToken,
      token_type: 'Bearer',
      expires_in: pair.expiresIn,
      user: UserDto.from(pair.user),
    };
  }
}
