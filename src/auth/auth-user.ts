import type { UserRole } from '../users/user.entity.js';

/**
 * Who is calling, as a guard established it: an access token checked against the account's row, a
 * personal token (quick-chat), or an API key (the gateway's guard only).
 */
export interface AuthUser {
  id: string;
  username: string;
  role: UserRole;
  via: 'jwt' | 'api-token' | 'api-key';
  /** The refresh family of the login that issued the access token, when there is one. */
  familyId?: string;
  /** The account's token version an access token was issued under (its `ver` claim). */
  tokenVersion?: number;
  /** The personal token presented, when `via` is `api-token`. */
  apiToken?: string;
  /** The API key's id, when `via` is `api-key`. */
  apiKeyId?: string;
  /**
   * The account's own token budgets as read with it on this request (users.quota_*_tokens: null follows
   * the defaults, -1 is none), so that a turn of a user without any budget needs no usage read.
   */
  quotas?: OwnQuotas;
}

export interface OwnQuotas {
  daily: string | null;
  monthly: string | null;
}
