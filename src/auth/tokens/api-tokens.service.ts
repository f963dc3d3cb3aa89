import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import type { UserRole } from '../../users/user.entity.js';
import type { AuthUser } from '../auth-user.js';
import { digestToken, newApiTokenValue } from './opaque-token.js';
import { ApiToken } from './token-entities.js';

/** Personal API tokens (`Authorization: Token <token>`): opaque, stored hashed, revocable at once. */
@Injectable()
export class ApiTokensService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(ApiToken) private readonly tokens: Repository<ApiToken>,
  ) {}

  async issue(userId: string): Promise<string> {
    const token = newApiTokenValue();
    await this.tokens.insert({ userId, tokenHash: digestToken(token) });
    return token;
  }

  /** The active owner of a live token, or null. */
  async authenticate(token: string): Promise<AuthUser | null> {
    const rows: {
      id: string;
      username: string;
      role: UserRole;
      quota_daily_tokens: string | null;
      quota_monthly_tokens: string | null;
    }[] = await this.dataSource.query(
      `SELECT u.id, u.username, u.role, u.quota_daily_tokens, u.quota_monthly_tokens
         FROM api_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.is_active`,
      [digestToken(token)],
    );
    const row = rows[0];
    return row
      ? {
          id: row.id,
          username: row.username,
          role: row.role,
          via: 'api-token',
          apiToken: token,
          quotas: { daily: row.quota_daily_tokens, monthly: row.quota_monthly_tokens },
        }
      : null;
  }

  async revoke(token: string): Promise<void> {
    await this.tokens.update(
      { tokenHash: digestToken(token), revokedAt: IsNull() },
      { revokedAt: () => 'now()' },
    );
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.tokens.update({ userId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }
}
