import { Injectable } from '@nestjs/common';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { ApiTokensService } from './tokens/api-tokens.service.js';
import { RefreshTokensService } from './tokens/refresh-tokens.service.js';

/**
 * Changes that must end a user's sessions: a new password or deactivation revokes every refresh
 * family, personal token, API key and access token at once (the last by moving the account's token
 * version on).
 */
@Injectable()
export class AccountSecurityService {
  constructor(
    private readonly users: UsersService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly apiTokens: ApiTokensService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async changePassword(user: User, password: string): Promise<void> {
    await this.users.setPassword(user, password);
    await this.revokeSessions(user.id);
  }

  async setActive(user: User, active: boolean): Promise<void> {
    await this.users.setActive(user.id, active);
    if (!active) await this.revokeSessions(user.id);
  }

  private async revokeSessions(userId: string): Promise<void> {
    await Promise.all([
      this.users.revokeAccessTokens(userId),
      this.refreshTokens.revokeAllForUser(userId),
      this.apiTokens.revokeAllForUser(userId),
      this.apiKeys.revokeAllForUser(userId),
    ]);
  }
}
