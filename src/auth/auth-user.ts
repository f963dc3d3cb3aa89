import type { UserRole } from '../users/user.entity.js';

/** Who is calling, as the guard established it (from the access token's claims, or a personal token). */
export interface AuthUser {
  id: string;
  username: string;
  role: UserRole;
  via: 'jwt' | 'api-token';
  /** The refresh family of the login that issued the access token, when there is one. */
  familyId?: string;
  /** The personal token presented, when `via` is `api-token`. */
  apiToken?: string;
}
