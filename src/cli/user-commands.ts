import { Injectable } from '@nestjs/common';
import { Command, Option } from 'nest-commander';
import { AccountSecurityService } from '../auth/account-security.service.js';
import { RegisterDto } from '../auth/dto/auth.dto.js';
import type { User } from '../users/user.entity.js';
import { UsernameTakenError, UsersService, WeakPasswordError } from '../users/users.service.js';
import { assertValidAs, CliError, printTable, readPassword } from './cli-input.js';
import { DatabaseCommand } from './database-command.js';

interface PasswordOptions {
  username: string;
  password?: string;
  passwordStdin?: boolean;
}

/**
 * What the user commands share: the services, and `--username`. @Injectable() makes TypeScript emit
 * the constructor's parameter types here, which the subclasses inherit (they declare no constructor).
 */
@Injectable()
abstract class UserCommand<Options extends { username: string }> extends DatabaseCommand<Options> {
  constructor(
    protected readonly users: UsersService,
    protected readonly security: AccountSecurityService,
  ) {
    super();
  }

  @Option({ flags: '--username <username>', description: 'the account (case-insensitive)', required: true })
  parseUsername(value: string): string {
    return value;
  }

  protected async user(username: string): Promise<User> {
    const user = await this.users.findByUsername(username);
    if (!user) throw new CliError(`No user named "${username}".`);
    return user;
  }
}

function explain(error: unknown): never {
  if (error instanceof UsernameTakenError) throw new CliError(error.message);
  if (error instanceof WeakPasswordError) throw new CliError(`Password refused: ${error.reasons.join(' ')}`);
  throw error;
}

@Command({ name: 'create-user', description: 'Create an account (same password policy as registration)' })
export class CreateUserCommand extends UserCommand<PasswordOptions & { email?: string; admin?: boolean }> {
  protected async execute(
    _args: string[],
    options: PasswordOptions & { email?: string; admin?: boolean },
  ): Promise<void> {
    const fields = {
      username: options.username,
      email: options.email,
      password: await readPassword(options),
    };
    assertValidAs(RegisterDto, fields); // the API's rules for registration
    const user = await this.users
      .create({ ...fields, role: options.admin ? 'admin' : 'user' })
      .catch(explain);
    console.log(`Created ${user.role} "${user.username}" (${user.id}).`);
  }

  @Option({ flags: '--email <email>', description: 'email address' })
  parseEmail(value: string): string {
    return value;
  }

  @Option({
    flags: '--password <password>',
    description: 'the password (visible in the process list; prefer --password-stdin)',
  })
  parsePassword(value: string): string {
    return value;
  }

  @Option({
    flags: '--password-stdin',
    description: 'read the password from the first line of standard input',
  })
  parsePasswordStdin(): boolean {
    return true;
  }

  @Option({ flags: '--admin', description: 'give the account the admin role' })
  parseAdmin(): boolean {
    return true;
  }
}

@Command({
  name: 'set-password',
  description: "Set a user's password and revoke all its tokens at once",
})
export class SetPasswordCommand extends UserCommand<PasswordOptions> {
  protected async execute(_args: string[], options: PasswordOptions): Promise<void> {
    const user = await this.user(options.username);
    const password = await readPassword(options);
    assertValidAs(RegisterDto, { password });
    await this.security.changePassword(user, password).catch(explain);
    console.log(`Password of "${user.username}" changed; its sessions were revoked.`);
  }

  @Option({ flags: '--password <password>', description: 'the new password (prefer --password-stdin)' })
  parsePassword(value: string): string {
    return value;
  }

  @Option({
    flags: '--password-stdin',
    description: 'read the password from the first line of standard input',
  })
  parsePasswordStdin(): boolean {
    return true;
  }
}

/** Turns an account on or off; turning it off revokes all its tokens at once. */
abstract class ActivationCommand extends UserCommand<{ username: string }> {
  protected abstract readonly active: boolean;

  protected async execute(_args: string[], options: { username: string }): Promise<void> {
    const user = await this.user(options.username);
    await this.security.setActive(user, this.active);
    console.log(`${this.active ? 'Activated' : 'Deactivated'} "${user.username}".`);
  }
}

@Command({ name: 'deactivate-user', description: 'Stop a user from logging in; revokes its tokens at once' })
export class DeactivateUserCommand extends ActivationCommand {
  protected readonly active = false;
}

@Command({ name: 'activate-user', description: 'Allow a deactivated user to log in again' })
export class ActivateUserCommand extends ActivationCommand {
  protected readonly active = true;
}

@Command({ name: 'list-users', description: 'List accounts' })
export class ListUsersCommand extends DatabaseCommand<{ json?: boolean }> {
  constructor(private readonly users: UsersService) {
    super();
  }

  protected async execute(_args: string[], options: { json?: boolean }): Promise<void> {
    const rows = (await this.users.list()).map((u) => ({
      id: u.id,
      username: u.username,
      email: u.email,
      role: u.role,
      active: u.isActive,
      created_at: u.createdAt.toISOString(),
      last_login_at: u.lastLoginAt?.toISOString() ?? null,
    }));
    if (options.json) console.log(JSON.stringify(rows, null, 2));
    else printTable(rows);
  }

  @Option({ flags: '--json', description: 'print a JSON array' })
  parseJson(): boolean {
    return true;
  }
}
