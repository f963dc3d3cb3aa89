import { Injectable } from '@nestjs/common';
import { PasswordHasher } from '../users/password-hasher.js';
import { normalizeUsername } from '../users/username.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { LoginLimiter } from './login-limiter.js';

export class InvalidCredentialsError extends Error {
  constructor() {
    super('Invalid username or password.');
  }
}

/**
 * Checks a username and password for every login route of every family: one generic failure whatever
 * the cause (unknown user, wrong password, inactive account), the same argon2 cost in each case, and
 * failed attempts counted per account and per address.
 */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly limiter: LoginLimiter,
  ) {}

  async verify(given: string, password: string, ip: string): Promise<User> {
    const username = normalizeUsername(given); // one failure count per account, whatever the form typed
    await this.limiter.assertAllowed(username, ip);
    const user = await this.users.findForLogin(username);
    const matches = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !matches || !user.isActive) {
      await this.limiter.recordFailure(username, ip);
      throw new InvalidCredentialsError();
    }
    await Promise.all([this.limiter.recordSuccess(username), this.users.recordLogin(user.id)]);
    return user;
  }
}
