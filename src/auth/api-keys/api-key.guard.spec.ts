import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/app-config.js';
import { EmbeddedPostgres } from '../../database/embedded-postgres.js';
import { typeOrmOptions } from '../../database/typeorm-options.js';
import type { AuthUser } from '../auth-user.js';
import { ApiKey } from './api-key.entity.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { ApiKeysService } from './api-keys.service.js';

/**
 * The gateway's guard over the real service and a real database (a fresh embedded one, or a database of
 * its own on the server at DATABASE_URL), migrated as the app migrates it. No route uses the guard yet:
 * the gateway that will is built on top of it.
 */
describe('ApiKeyGuard', () => {
  let dataSource: DataSource;
  let release: () => Promise<void>;
  let service: ApiKeysService;
  let guard: ApiKeyGuard;
  let userId: string;
  const jwtKey = createSecretKey(randomBytes(48));

  beforeAll(async () => {
    const serverUrl = process.env.DATABASE_URL;
    if (serverUrl) {
      const name = `chatbot_test_guard_${randomBytes(6).toString('hex')}`;
      await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      dataSource = new DataSource(
        typeOrmOptions(loadConfig({ NODE_ENV: 'test', DATABASE_URL: url.toString() })),
      );
      release = () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } else {
      const dataDir = mkdtempSync(join(tmpdir(), 'chatbot-guard-'));
      const embedded = await EmbeddedPostgres.start(dataDir);
      dataSource = new DataSource(
        typeOrmOptions(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }), embedded),
      );
      release = async () => {
        await embedded.stop();
        rmSync(dataDir, { recursive: true, force: true });
      };
    }
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    service = new ApiKeysService(dataSource.getRepository(ApiKey), jwtKey);
    guard = new ApiKeyGuard(service);
    userId = await newUser('ada');
  }, 120_000);
  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await release?.();
  });

  async function newUser(username: string): Promise<string> {
    const rows: { id: string }[] = await dataSource.query(
      `INSERT INTO users (username, password_hash) VALUES ($1, 'not-a-hash') RETURNING id`,
      [`${username}_${randomBytes(4).toString('hex')}`],
    );
    return rows[0].id;
  }

  /** What the guard decides for this Authorization header: the caller it attaches, or its error. */
  async function authenticate(
    authorization?: string,
  ): Promise<AuthUser | { status: number; message: string }> {
    const request: { headers: { authorization?: string }; user?: AuthUser } = { headers: { authorization } };
    const context = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
    try {
      expect(await guard.canActivate(context)).toBe(true);
      return request.user as AuthUser;
    } catch (error) {
      const { status, message } = error as { status: number; message: string };
      return { status, message };
    }
  }

  const lastUsed = async (id: string): Promise<Date | null> =>
    (await dataSource.getRepository(ApiKey).findOneByOrFail({ id })).lastUsedAt;

  it('authenticates `Bearer cbk_…` of a live key as its owner', async () => {
    const { key, secret } = await service.create(userId, 'laptop');

    expect(await authenticate(`Bearer ${secret}`)).toEqual({
      id: userId,
      username: expect.stringMatching(/^ada_/),
      role: 'user',
      via: 'api-key',
      apiKeyId: key.id,
    });
    expect(await authenticate(`bearer   ${secret}  `)).toMatchObject({ id: userId });
  });

  it.each([
    ['no header', undefined, /API key is required/],
    ['an access JWT', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl', /Only an API key/],
    ['a personal token', 'Token 0123456789abcdef0123456789abcdef01234567', /Only an API key/],
    ['an unknown key', `Bearer cbk_${randomBytes(32).toString('base64url')}`, /Invalid, expired or revoked/],
    ['a malformed key', 'Bearer cbk_short', /Invalid, expired or revoked/],
  ])('refuses %s with a 401', async (_label, header, message) => {
    expect(await authenticate(header)).toEqual({ status: 401, message: expect.stringMatching(message) });
  });

  it('refuses a key at once once revoked, by its owner or with all the account’s keys', async () => {
    const one = await service.create(userId, 'one');
    const two = await service.create(userId, 'two');
    expect(await authenticate(`Bearer ${one.secret}`)).toMatchObject({ apiKeyId: one.key.id });

    await service.revoke(userId, one.key.id);
    expect(await authenticate(`Bearer ${one.secret}`)).toMatchObject({ status: 401 });
    expect(await authenticate(`Bearer ${two.secret}`)).toMatchObject({ apiKeyId: two.key.id });

    const other = await newUser('bystander');
    const theirs = await service.create(other, 'theirs');
    await service.revokeAllForUser(userId);
    expect(await authenticate(`Bearer ${two.secret}`)).toMatchObject({ status: 401 });
    expect(await authenticate(`Bearer ${theirs.secret}`)).toMatchObject({ id: other });
  });

  it('refuses a key once it has expired', async () => {
    const { key, secret } = await service.create(userId, 'short-lived', 1);
    expect(await authenticate(`Bearer ${secret}`)).toMatchObject({ apiKeyId: key.id });

    await dataSource.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      key.id,
    ]);
    expect(await authenticate(`Bearer ${secret}`)).toMatchObject({ status: 401 });
    expect((await service.listLive(userId)).map((k) => k.id)).not.toContain(key.id);
  });

  it('refuses the key of a deactivated account', async () => {
    const owner = await newUser('inactive');
    const { secret } = await service.create(owner, 'k');
    await dataSource.query(`UPDATE users SET is_active = false WHERE id = $1`, [owner]);
    expect(await authenticate(`Bearer ${secret}`)).toMatchObject({ status: 401 });
  });

  it('moves last_used_at on at most once a minute', async () => {
    const { key, secret } = await service.create(userId, 'busy');
    expect(await lastUsed(key.id)).toBeNull();

    await authenticate(`Bearer ${secret}`);
    const first = await lastUsed(key.id);
    expect(first).toBeInstanceOf(Date);
    for (let i = 0; i < 5; i += 1) await authenticate(`Bearer ${secret}`);
    expect(await lastUsed(key.id)).toEqual(first);

    await dataSource.query(`UPDATE api_keys SET last_used_at = now() - interval '61 seconds' WHERE id = $1`, [
      key.id,
    ]);
    const stale = await lastUsed(key.id);
    await authenticate(`Bearer ${secret}`);
    expect((await lastUsed(key.id))!.getTime()).toBeGreaterThan(stale!.getTime() + 60_000);
  });

  it('stores a keyed digest: neither the key nor its plain SHA-256, and useless under another server key', async () => {
    const { key, secret } = await service.create(userId, 'stored');
    const row = await dataSource.getRepository(ApiKey).findOneByOrFail({ id: key.id });
    expect(row.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.keyHash).not.toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(secret.slice(12));
    expect(row.prefix).toBe(secret.slice(0, 12));

    const elsewhere = new ApiKeysService(dataSource.getRepository(ApiKey), createSecretKey(randomBytes(48)));
    expect(await elsewhere.authenticate(secret)).toBeNull();
  });
});

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
