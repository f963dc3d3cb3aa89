const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Parses `900`, `15m`, `12h`, `30d` into whole seconds (at least 1). */
export function parseDuration(value: string): number {
  const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new Error(`Not a duration: ${value}`);
  return Math.max(1, Math.round(Number(match[1]) * UNIT_SECONDS[match[2] ?? 's']));
}
