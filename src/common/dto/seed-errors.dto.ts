/** The seeds' error body for login, logout, chat and lookup failures. */
export class SeedErrorDto {
  /** @example "Chat session not found." */
  error!: string;
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
