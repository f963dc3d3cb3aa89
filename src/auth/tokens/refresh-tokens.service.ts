import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { digestToken, newRefreshTokenValue } from './opaque-token.js';
import { RefreshToken, RefreshTokenFamily } from './token-entities.js';

export interface IssuedRefreshToken {
  familyId: string;
  token: string;
  userId: string;
}

export class InvalidRefreshTokenError extends Error {
  constructor() {
    super('Invalid or expired refresh token.');
  }
}

interface StoredToken {
  id: string;
  family_id: string;
  user_id: string;
  expires_at: Date;
  rotated_at: Date | null;
  family_revoked_at: Date | null;
  user_active: boolean;
}

/**
 * Refresh tokens in families: a login starts a family, each refresh rotates to a new token of the same
 * family, and presenting a token that was already rotated revokes its whole family (it leaked).
 */
@Injectable()
export class RefreshTokensService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(RefreshTokenFamily) private readonly families: Repository<RefreshTokenFamily>,
    @InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>,
    private readonly config: AppConfig,
  ) {}

  async startFamily(userId: string): Promise<IssuedRefreshToken> {
    const family = await this.families.insert({ userId });
    const familyId = family.identifiers[0].id as string;
    const token = await this.addToken(this.tokens, familyId);
    return { familyId, token, userId };
  }

  /** Exchanges a live refresh token for the next one of its family. */
  async rotate(token: string): Promise<IssuedRefreshToken> {
    const stored = await this.lookup(token);
    if (!stored || stored.family_revoked_at || !stored.user_active) throw new InvalidRefreshTokenError();
    if (stored.rotated_at) {
      await this.revokeFamily(stored.family_id);
      throw new InvalidRefreshTokenError();
    }
    if (stored.expires_at.getTime() <= Date.now()) throw new InvalidRefreshTokenError();
    const next = await this.dataSource.transaction(async (manager) => {
      const claimed = await manager.update(
        RefreshToken,
        { id: stored.id, rotatedAt: IsNull() },
        { rotatedAt: () => 'now()' },
      );
      if (claimed.affected !== 1) return null; // a concurrent refresh used it first: that is reuse too
      return this.addToken(manager.getRepository(RefreshToken), stored.family_id);
    });
    if (next === null) {
      await this.revokeFamily(stored.family_id);
      throw new InvalidRefreshTokenError();
    }
    return { familyId: stored.family_id, token: next, userId: stored.user_id };
  }

  /** Revokes the family a refresh token belongs to; unknown tokens are ignored. */
  async revokeByToken(token: string, userId: string): Promise<void> {
    const stored = await this.lookup(token);
    if (stored && stored.user_id === userId) await this.revokeFamily(stored.family_id);
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.families.update({ id: familyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.families.update({ userId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  private async lookup(token: string): Promise<StoredToken | undefined> {
    const rows: StoredToken[] = await this.dataSource.query(
      `SELECT t.id, t.family_id, f.user_id, t.expires_at, t.rotated_at,
              f.revoked_at AS family_revoked_at, u.is_active AS user_active
         FROM refresh_tokens t
         JOIN refresh_token_families f ON f.id = t.family_id
         JOIN users u ON u.id = f.user_id
        WHERE t.token_hash = $1`,
      [digestToken(token)],
    );
    return rows[0];
  }

  private async addToken(repository: Repository<RefreshToken>, familyId: string): Promise<string> {
    const token = newRefreshTokenValue();
    const expiresAt = new Date(Date.now() + this.config.jwt.refreshTtlSeconds * 1000);
    await repository.insert({ familyId, tokenHash: digestToken(token), expiresAt });
    return token;
  }
}
