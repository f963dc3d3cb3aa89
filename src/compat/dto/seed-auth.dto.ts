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
