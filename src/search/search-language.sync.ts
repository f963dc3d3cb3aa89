import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { buildSearchColumns, builtSearchVector, searchVectorOf } from './search-columns.js';

/**
 * Keeps the search columns in the configured SEARCH_LANGUAGE: when the server starts (after the
 * migrations) with another language than the one they were built in, it rebuilds them in one
 * transaction, which rewrites both tables and their GIN indexes: a few seconds per 100,000 messages,
 * during which they are locked. Checked without a lock first, so an ordinary start costs one read.
 */
@Injectable()
export class SearchLanguageSync implements OnModuleInit {
  private readonly logger = new Logger('Search');

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const language = this.config.searchLanguage;
    const wanted = searchVectorOf('messages', language);
    const runner = this.dataSource.createQueryRunner();
    try {
      const built = await builtSearchVector(runner);
      if (built === null || built === wanted) return;
      await runner.startTransaction();
      try {
        // Another instance starting at the same time may have rebuilt them meanwhile.
        await runner.query('LOCK TABLE messages, chat_sessions IN ACCESS EXCLUSIVE MODE');
        const now = await builtSearchVector(runner);
        if (now !== null && now !== wanted) {
          this.logger.log(`SEARCH_LANGUAGE is ${language}: rebuilding the search columns (were: ${now})`);
          await buildSearchColumns(runner, language);
        }
        await runner.commitTransaction();
      } catch (error) {
        await runner.rollbackTransaction();
        throw error;
      }
    } finally {
      await runner.release();
    }
  }
}
