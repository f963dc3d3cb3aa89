import { Command, Option } from 'nest-commander';
import { RequestValidationException } from '../common/exceptions.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { BudgetsService, type QuotaSetting } from '../usage/budgets.service.js';
import { isIsoDay } from '../usage/usage-period.js';
import { UsageService, type UsagePeriod } from '../usage/usage.service.js';
import { CliError, printTable } from './cli-input.js';
import { DatabaseCommand } from './database-command.js';

async function userNamed(users: UsersService, username: string): Promise<User> {
  const user = await users.findByUsername(username);
  if (!user) throw new CliError(`No user named "${username}".`);
  return user;
}

function isoDay(option: string, value: string): string {
  if (!isIsoDay(value)) throw new CliError(`--${option} must be a date written YYYY-MM-DD (got "${value}").`);
  return value;
}

interface UsageOptions {
  user?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

@Command({
  name: 'usage',
  description: "Tokens, answers and failures per user in a period (with --user, that user's per day)",
})
export class UsageCommand extends DatabaseCommand<UsageOptions> {
  constructor(
    private readonly usage: UsageService,
    private readonly users: UsersService,
  ) {
    super();
  }

  protected async execute(_args: string[], options: UsageOptions): Promise<void> {
    let period: UsagePeriod;
    try {
      period = this.usage.period(options.from, options.to);
    } catch (error) {
      if (error instanceof RequestValidationException) {
        const [{ field, message }] = error.fieldErrors;
        throw new CliError(`${message} (--${field}).`);
      }
      throw error;
    }
    const report = options.user
      ? await this.usage.ofUser((await userNamed(this.users, options.user)).id, period, 'day')
      : await this.usage.perUser(period);
    if (options.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    console.log(`${report.from} to ${report.to} (UTC)`);
    printTable(report.data as unknown as Record<string, unknown>[]);
    const { totals } = report;
    console.log(
      `total: ${totals.total_tokens} tokens (${totals.prompt_tokens} prompt, ${totals.completion_tokens} completion), ` +
        `${totals.answers} answers, ${totals.failures} failed`,
    );
  }

  @Option({ flags: '--user <username>', description: 'only this user, per day' })
  parseUser(value: string): string {
    return value;
  }

  @Option({ flags: '--from <date>', description: 'first day, YYYY-MM-DD (default: the first of the month)' })
  parseFrom(value: string): string {
    return isoDay('from', value);
  }

  @Option({ flags: '--to <date>', description: 'last day, YYYY-MM-DD (default: today)' })
  parseTo(value: string): string {
    return isoDay('to', value);
  }

  @Option({ flags: '--json', description: 'print JSON' })
  parseJson(): boolean {
    return true;
  }
}

function quotaSetting(option: string, value: string): QuotaSetting {
  if (value === 'none' || value === 'default') return value;
  if (/^\d{1,15}$/.test(value)) return Number(value);
  throw new CliError(`--${option} must be a number of tokens, none or default (got "${value}").`);
}

interface QuotaOptions {
  user: string;
  daily?: QuotaSetting;
  monthly?: QuotaSetting;
}

@Command({
  name: 'set-quota',
  description: "Set a user's token budgets: a number of tokens, none (no limit) or default",
})
export class SetQuotaCommand extends DatabaseCommand<QuotaOptions> {
  constructor(
    private readonly budgets: BudgetsService,
    private readonly users: UsersService,
  ) {
    super();
  }

  protected async execute(_args: string[], options: QuotaOptions): Promise<void> {
    if (options.daily === undefined && options.monthly === undefined)
      throw new CliError('Give --daily, --monthly or both.');
    const user = await userNamed(this.users, options.user);
    await this.budgets.setQuotas(user.id, options);
    const limits = (await this.budgets.budgetsOf(user.id)).map(
      (b) => `${b.name} ${b.limit === null ? 'unlimited' : `${b.limit} tokens`} (${b.used} used)`,
    );
    console.log(`Budgets of "${user.username}": ${limits.join(', ')}.`);
  }

  @Option({ flags: '--user <username>', description: 'the account (case-insensitive)', required: true })
  parseUser(value: string): string {
    return value;
  }

  @Option({ flags: '--daily <tokens>', description: 'tokens per UTC day, none, or default' })
  parseDaily(value: string): QuotaSetting {
    return quotaSetting('daily', value);
  }

  @Option({ flags: '--monthly <tokens>', description: 'tokens per UTC calendar month, none, or default' })
  parseMonthly(value: string): QuotaSetting {
    return quotaSetting('monthly', value);
  }
}
