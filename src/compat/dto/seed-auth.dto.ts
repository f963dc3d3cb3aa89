import { HttpException } from '@nestjs/common';
import { SeedResponseException } from '../../common/exceptions.js';
import { NormalizedUsername } from '../../users/username.js';
import { DrfOptionalEmail, DrfRequiredString, DrfUsername } from './drf-fields.js';

/** Quick-chat seed: `POST /api/v1/accounts/register/`. */
export class QuickChatRegisterDto {
  @DrfUsername()
  username!: string;

  @DrfOptionalEmail()
  email?: string;

  @DrfRequiredString(1024)
  password1!: string;

  @DrfRequiredString(1024)
  password2!: string;
}

/** Login body of both seeds: `{username, password}`. */
export class SeedLoginDto {
  @DrfRequiredString(150)
  @NormalizedUsername()
  username!: string;

  @DrfRequiredString(1024)
  password!: string;
}

/**
 * Quick-chat seed: `POST /api/v1/accounts/login/`. Its view checks `if not username or not password`
 * and answers 400 `{"error": "Username and password are required."}`; other errors keep DRF's shape.
 */
export class QuickChatCredentialsDto extends SeedLoginDto {
  static validationError(_errors: unknown, body: unknown): HttpException | undefined {
    const { username, password } = (typeof body === 'object' && body !== null ? body : {}) as Record<
      string,
      unknown
    >;
    const filled = (value: unknown) => typeof value === 'string' && value !== '';
    if (filled(username) && filled(password)) return undefined;
    return new SeedResponseException({ error: 'Username and password are required.' }, 400);
  }
}

/** Sessions seed: `POST /register/`. */
export class SessionsSeedRegisterDto {
  @DrfUsername()
  username!: string;

  @DrfOptionalEmail()
  email?: string;

  @DrfRequiredString(1024)
  password!: string;
}

/** Sessions seed: `POST /api/token/refresh/`. */
export class SeedRefreshDto {
  @DrfRequiredString(4096)
  refresh!: string;
}

/** Sessions seed: `POST /api/token/verify/`. */
export class SeedVerifyDto {
  @DrfRequiredString(4096)
  token!: string;
}
