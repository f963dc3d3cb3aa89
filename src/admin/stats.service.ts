import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface ProviderUsage {
  provider: string;
  model: string | null;
  answers: number;
  prompt_tokens: number;
  completion_tokens: number;
}

export interface Stats {
  users: number;
  active_users: number;
  sessions: number;
  messages: number;
  usage: ProviderUsage[];
}

/** Service-wide figures for the CLI's `stats` and the admin route. */
@Injectable()
export class StatsService {
  constructor(private readonly dataSource: DataSource) {}

  async collect(): Promise<Stats> {
    const [counts]: { users: string; active_users: string; sessions: string; messages: string }[] =
      await this.dataSource.query(
        `SELECT (SELECT count(*) FROM users) AS users,
              (SELECT count(*) FROM users WHERE is_active) AS active_users,
              (SELECT count(*) FROM chat_sessions) AS sessions,
              (SELECT count(*) FROM messages) AS messages`,
      );
    const usage: {
      provider: string;
      model: string | null;
      answers: string;
      prompt_tokens: string;
      completion_tokens: string;
    }[] = await this.dataSource.query(
      `SELECT provider, model, count(*) AS answers,
                coalesce(sum(prompt_tokens), 0) AS prompt_tokens, coalesce(sum(completion_tokens), 0) AS completion_tokens
           FROM messages WHERE role = 'assistant' AND provider IS NOT NULL
          GROUP BY provider, model ORDER BY provider, model`,
    );
    return {
      users: Number(counts.users),
      active_users: Number(counts.active_users),
      sessions: Number(counts.sessions),
      messages: Number(counts.messages),
      usage: usage.map((u) => ({
        provider: u.provider,
        model: u.model,
        answers: Number(u.answers),
        prompt_tokens: Number(u.prompt_tokens),
        completion_tokens: Number(u.completion_tokens),
      })),
    };
  }
}
