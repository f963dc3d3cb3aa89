import { ApiKey } from '../auth/api-keys/api-key.entity.js';
import { ApiToken, RefreshToken, RefreshTokenFamily } from '../auth/tokens/token-entities.js';
import { ChatSession } from '../chat-sessions/chat-session.entity.js';
import { IdempotencyKey } from '../messages/idempotency-key.entity.js';
import { Message } from '../messages/message.entity.js';
import { UsageDay } from '../usage/usage-day.entity.js';
import { User } from '../users/user.entity.js';

/**
 * Every entity, listed explicitly (no globbing: works the same under ts-jest, the build and the TypeORM CLI).
 * They describe the schema the migrations make (`npm run migration:check`).
 */
export const ENTITIES: Function[] = [
  User,
  RefreshTokenFamily,
  RefreshToken,
  ApiToken,
  ApiKey,
  ChatSession,
  Message,
  IdempotencyKey,
  UsageDay,
];
