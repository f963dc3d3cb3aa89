import pg from 'pg';

/**
 * TypeORM sends every query unnamed, so PostgreSQL parses and plans it again on every call: on the hot
 * reads, planning cost more than running (EXPLAIN ANALYZE of the message page: 1.2–3 ms of planning for
 * 0.4–1 ms of execution; bench/README.md). Naming a query makes it a prepared statement of its connection:
 * parsed once, and planned once when PostgreSQL finds a generic plan as good as a custom one.
 *
 * Each distinct text gets one name for the whole process, so each connection prepares it on first use.
 * Only queries with parameters are named (those without, such as BEGIN and COMMIT, keep the simple
 * protocol), and at most MAX_NAMED_TEXTS of them: the hot queries are among the first ones sent, and the
 * bound keeps generated texts (an IN list of each length) from growing every connection's statements.
 */
const MAX_NAMED_TEXTS = 500;
const namesByText = new Map<string, string>();

/**
 * Starts a query that must be planned for its parameters on every call, and so is never named: one
 * whose best plan depends on their values (full-text search: a common word reads the user's messages
 * one by one, a rare one the GIN index), where a prepared statement settles on one generic plan for all.
 */
export const PLANNED_PER_CALL = '/* planned per call */';

function statementName(text: string): string | undefined {
  if (text.startsWith(PLANNED_PER_CALL)) return undefined;
  let name = namesByText.get(text);
  if (name === undefined && namesByText.size < MAX_NAMED_TEXTS) {
    name = `typeorm_${namesByText.size}`;
    namesByText.set(text, name);
  }
  return name;
}

/** pg's client, preparing TypeORM's parameterised queries; given to the pool as its `Client`. */
export class PreparingClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [text, values] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0) {
      const name = statementName(text);
      if (name !== undefined) args[0] = { name, text };
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}
