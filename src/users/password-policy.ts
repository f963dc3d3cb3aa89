import { Injectable } from '@nestjs/common';
import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** The most common passwords (about 49,000, from zxcvbn-ts's frequency list), lower-cased. */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  dictionary['passwords-common'].map((p) => p.toLowerCase()),
);

/**
 * Django's password validators, as the seeds' users knew them: length 8–128, not entirely numeric,
 * not a common password, not too similar to the username. Returns the reasons a password is refused.
 */
@Injectable()
export class PasswordPolicy {
  check(password: string, username: string): string[] {
    const problems: string[] = [];
    if (password.length < PASSWORD_MIN_LENGTH) {
      problems.push(
        `This password is too short. It must contain at least ${PASSWORD_MIN_LENGTH} characters.`,
      );
    }
    if (password.length > PASSWORD_MAX_LENGTH) {
      problems.push(`This password is too long. It must contain at most ${PASSWORD_MAX_LENGTH} characters.`);
    }
    if (/^\d+$/.test(password)) problems.push('This password is entirely numeric.');
    if (COMMON_PASSWORDS.has(password.toLowerCase())) problems.push('This password is too common.');
    if (isTooSimilar(password, username)) problems.push('The password is too similar to the username.');
    return problems;
  }
}

/** Like Django's UserAttributeSimilarityValidator: a similarity ratio of 0.7 or more, or containment. */
function isTooSimilar(password: string, username: string): boolean {
  const p = password.toLowerCase();
  const u = username.toLowerCase();
  if (u.length < 3) return p === u;
  if (p.includes(u) || u.includes(p)) return true;
  return similarity(p, u) >= 0.7;
}

/** 1 − (Levenshtein distance / longer length). */
function similarity(a: string, b: string): number {
  const longer = Math.max(a.length, b.length);
  if (longer === 0) return 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return 1 - previous[b.length] / longer;
}
