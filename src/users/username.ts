import { Transform } from 'class-transformer';

/**
 * Django's `AbstractBaseUser.normalize_username`: NFKC, so that fullwidth `ａｄｍｉｎ`, the ligature in
 * `ﬁn` and a decomposed `josé` name the same accounts as `admin`, `fin` and the composed `josé`.
 */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC');
}

/**
 * Normalises a DTO's username before validation (as Django's `UsernameField.to_python` does before its
 * validators), so that length and pattern are checked on what is stored. Non-strings pass through to
 * the validators, which refuse them.
 */
export const NormalizedUsername = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? normalizeUsername(value) : value,
  );
