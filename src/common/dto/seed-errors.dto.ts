import { ApiUuid } from '../api-property-formats.js';

/** The seeds' error body for login, logout, chat and lookup failures. */
export class SeedErrorDto {
  /** @example "Chat session not found." */
  error!: string;
}

/** The quick-chat seed's failed turn: the error, and the session the question is stored in. */
export class SeedFailedTurnDto extends SeedErrorDto {
  /** The session the question was stored in: a new one when the request named none. */
  @ApiUuid()
  session_id!: string;
}

/** Django REST Framework's (and SimpleJWT's) error body. */
export class SeedDetailErrorDto {
  /** @example "Authentication credentials were not provided." */
  detail!: string;

  /**
   * SimpleJWT's machine-readable reason, on token errors.
   * @example "token_not_valid"
   */
  code?: string;
}
