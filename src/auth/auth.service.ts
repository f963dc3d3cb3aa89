import { Injectable } from '@nestjs/common';
import type { User } from '../users/user.entity.js';
import { NewUser, UsersService } from '../users/users.service.js';
import type { AuthUser } from './auth-user.js';
import { CredentialsService } from './credentials.service.js';
import { AccessTokensService } from './tokens/access-tokens.service.js';
import { ApiTokensService } from './tokens/api-tokens.service.js';
import { RefreshTokensService } from './tokens/refresh-tokens.service.js';

export interface TokenPair {
  user: User;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** Registration, logins and token lifecycles shared by the native API and both seed contracts. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly accessTokens: AccessTokensService,
    private readonly refreshTokens: RefreshTokensService,
    private readonly apiTokens: ApiTokensService,
  ) {}

  register(newUser: NewUser): Promise<User> {
    return this.users.create(newUser);
  }

  /** A password login that starts a refresh family. */
  async login(username: string, password: string, ip: string): Promise<TokenPair> {
    const user = await this.credentials.verify(username, password, ip);
    return this.issuePair(user);
  }

  /** A password login that issues a personal API token (the quick-chat seed's login). */
  async loginWithApiToken(
    username: string,
    password: string,
    ip: string,
  ): Promise<{ user: User; token: string }> {
    const user = await this.credentials.verify(username, password, ip);
    return { user, token: await this.apiTokens.issue(user.id) };
  }

  /** Rotates a refresh token; throws InvalidRefreshTokenError (and revokes the family on reuse). */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const next = await this.refreshTokens.rotate(refreshToken);
    const user = await this.users.findByIdOrFail(next.userId);
    return {
      user,
      accessToken: this.accessTokens.sign(user, next.familyId),
      refreshToken: next.token,
      expiresIn: this.accessTokens.ttlSeconds,
    };
  }

  /** Ends a login: its refresh family (named, or the one of the access token), or the personal token used. */
  async logout(caller: AuthUser, refreshToken?: string): Promise<void> {
    if (caller.apiToken) await this.apiTokens.revoke(caller.apiToken);
    if (refreshToken) await this.refreshTokens.revokeByToken(refreshToken, caller.id);
    if (caller.familyId) await this.refreshTokens.revokeFamily(caller.familyId);
  }

  /** Whether a token is a valid, unexpired, unrevoked access token (refresh tokens are not). */
  async isValidAccessToken(token: string): Promise<boolean> {
    return (await this.accessTokens.verify(token)) !== null;
  }

  private async issuePair(user: User): Promise<TokenPair> {
    const family = await this.refreshTokens.startFamily(user.id);
    return {
      user,
      accessToken: this.accessTokens.sign(user, family.familyId),
      refreshToken: family.token,
      expiresIn: this.accessTokens.ttlSeconds,
    };
  }
}
