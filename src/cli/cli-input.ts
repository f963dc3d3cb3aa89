import { type ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { toFieldErrors, VALIDATION_OPTIONS } from '../common/validation.js';
import { parseDuration } from '../config/duration.js';

/** A command's failure: printed as one line, exit code 1. */
export class CliError extends Error {}

/** The password from `--password`, or the first line of standard input with `--password-stdin`. */
export async function readPassword(options: { password?: string; passwordStdin?: boolean }): Promise<string> {
  if (options.password !== undefined && options.passwordStdin)
    throw new CliError('Give either --password or --password-stdin, not both.');
  if (options.password !== undefined) return options.password;
  if (!options.passwordStdin)
    throw new CliError('A password is required: --password <password> or --password-stdin.');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/, 1)[0];
  if (!password) throw new CliError('No password on standard input.');
  return password;
}

/**
 * Checks options against the rules of the request DTO the API takes them in (the same validation as its
 * pipe), for the fields given (`values`' keys); the first broken rule is the one-line reason.
 */
export function assertValidAs(dto: ClassConstructor<object>, values: Record<string, unknown>): void {
  const broken = toFieldErrors(validateSync(plainToInstance(dto, values), VALIDATION_OPTIONS)).find(
    ({ field }) => field in values,
  );
  if (broken) throw new CliError(`${broken.message} (--${broken.field}).`);
}

export function parseIdleDuration(value: string): number {
  try {
    return parseDuration(value);
  } catch {
    throw new CliError(`--older-than must be a duration such as 30d, 12h or 90m (got "${value}").`);
  }
}

export function printTable(rows: Record<string, unknown>[]): void {
  if (rows.length === 0) {
    console.log('(none)');
    return;
  }
  const columns = Object.keys(rows[0]);
  const cell = (value: unknown): string =>
    value === null || value === undefined ? '-' : typeof value === 'string' ? value : JSON.stringify(value);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(line(columns));
  for (const row of rows) console.log(line(columns.map((c) => cell(row[c]))));
}
