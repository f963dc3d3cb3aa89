import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { PasswordHasher } from './password-hasher.js';
import { PasswordPolicy } from './password-policy.js';
import { User, UserRole } from './user.entity.js';
import { normalizeUsername } from './username.js';

export class UsernameTakenError extends Error {
  constructor() {
    super('A user with that username already exists.');
  }
}

export class WeakPasswordError extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join(' '));
  }
}

export interface NewUser {
  username: string;
  email?: string | null;
  password: string;
  role?: UserRole;
}

const UNIQUE_VIOLATION = '23505';

/** Accounts: creation under the password policy, lookup, password and activation changes. */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
  ) {}

  async create({ username: given, email, password, role = 'user' }: NewUser): Promise<User> {
    const username = normalizeUsername(given);
    this.assertStrongPassword(password, username);
    if (await this.findByUsername(username)) throw new UsernameTakenError();
    const passwordHash = await this.hasher.hash(password);
    try {
      const inserted = await this.users.insert({ username, email: email || null, passwordHash, role });
      return this.findByIdOrFail(inserted.identifiers[0].id as string);
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        throw new UsernameTakenError(); // lost a race with a concurrent registration of the same name
      }
      throw error;
    }
  }

  assertStrongPassword(password: string, username: string): void {
    const reasons = this.policy.check(password, username);
    if (reasons.length > 0) throw new WeakPasswordError(reasons);
  }

  /** Usernames are compared NFKC-normalised and case-insensitively. */
  findByUsername(username: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:username)', { username: normalizeUsername(username) })
      .getOne();
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  async findByIdOrFail(id: string): Promise<User> {
    return this.users.findOneByOrFail({ id });
  }

  /** The user with its password hash, for a login; null when unknown. */
  findForLogin(username: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('lower(u.username) = lower(:username)', { username: normalizeUsername(username) })
      .getOne();
  }

  async recordLogin(id: string): Promise<void> {
    await this.users.update({ id }, { lastLoginAt: () => 'now()' });
  }

  async setPassword(user: User, password: string): Promise<void> {
    this.assertStrongPassword(password, user.username);
    await this.users.update({ id: user.id }, { passwordHash: await this.hasher.hash(password) });
  }

  /** Ends every access token issued so far: they carry the old `token_version`, which the guard compares. */
  async revokeAccessTokens(id: string): Promise<void> {
    await this.users.increment({ id }, 'tokenVersion', 1);
  }

  async setActive(id: string, isActive: boolean): Promise<void> {
    await this.users.update({ id }, { isActive });
  }

  list(): Promise<User[]> {
    return this.users.find({ order: { createdAt: 'ASC' } });
  }
}
