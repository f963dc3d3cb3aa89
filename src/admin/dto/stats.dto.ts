/** Answers and tokens of one provider and model. */
export class ProviderUsageDto {
  /** @example "openai" */
  provider!: string;

  /** @example "gpt-4o" */
  model!: string | null;

  /** Assistant messages it produced. */
  answers!: number;

  prompt_tokens!: number;
  completion_tokens!: number;
}

/** Service-wide figures (the CLI's `stats`). */
export class StatsDto {
  users!: number;
  active_users!: number;
  sessions!: number;
  messages!: number;

  /** Per provider and model, sorted by provider then model. */
  usage!: ProviderUsageDto[];
}
