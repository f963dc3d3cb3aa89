import { ApiToken, RefreshToken, RefreshTokenFamily } from '../auth/tokens/token-entities.js';
import { User } from '../users/user.entity.js';

/**
 * Every entity, listed explicitly (no globbing: works the same under ts-jest, the build and the TypeORM CLI).
 * Chat sessions and messages have none: their queries are prepared statements (see database/sql.ts).
 */
export const ENTITIES: Function[] = [User, RefreshTokenFamily, RefreshToken, ApiToken];
