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
