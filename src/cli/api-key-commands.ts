import { Command, Option } from 'nest-commander';
import { ApiKeysService } from '../auth/api-keys/api-keys.service.js';
import { ApiKeyDto } from '../auth/api-keys/dto/api-key.dto.js';
import { UsersService } from '../users/users.service.js';
import { CliError, printTable } from './cli-input.js';
import { DatabaseCommand } from './database-command.js';

@Command({
  name: 'list-api-keys',
  description: "List a user's API keys, revoked and expired ones too (never a secret)",
})
export class ListApiKeysCommand extends DatabaseCommand<{ user: string; json?: boolean }> {
  constructor(
    private readonly users: UsersService,
    private readonly apiKeys: ApiKeysService,
  ) {
    super();
  }

  protected async execute(_args: string[], options: { user: string; json?: boolean }): Promise<void> {
    const user = await this.users.findByUsername(options.user);
    if (!user) throw new CliError(`No user named "${options.user}".`);
    const rows = (await this.apiKeys.listAll(user.id)).map((key) => ({
      ...ApiKeyDto.from(key),
      revoked_at: key.revokedAt?.toISOString() ?? null,
    }));
    if (options.json) console.log(JSON.stringify(rows, null, 2));
    else printTable(rows);
  }

  @Option({ flags: '--user <username>', description: 'the account (case-insensitive)', required: true })
  parseUser(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print a JSON array' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'revoke-api-key',
  arguments: '<id>',
  description: 'Revoke an API key by its id; it stops working at once',
})
export class RevokeApiKeyCommand extends DatabaseCommand {
  constructor(private readonly apiKeys: ApiKeysService) {
    super();
  }

  protected async execute([id]: string[]): Promise<void> {
    if (!(await this.apiKeys.revokeById(id)))
      throw new CliError(`No API key ${id} that is not revoked already.`);
    console.log(`Revoked API key ${id}.`);
  }
}
