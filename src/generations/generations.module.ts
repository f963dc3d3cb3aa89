import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { GenerationEvents } from './generation-events.js';
import { InMemoryGenerationEvents } from './in-memory-generation-events.js';
import { RedisGenerationEvents } from './redis-generation-events.js';

/** Live answers' events and stop signals: through Redis with REDIS_URL (several instances), else in memory. */
@Module({
  providers: [
    {
      provide: GenerationEvents,
      inject: [AppConfig],
      useFactory: (config: AppConfig): GenerationEvents =>
        config.redisUrl
          ? new RedisGenerationEvents(config.redisUrl, config.generations)
          : new InMemoryGenerationEvents(config.generations),
    },
  ],
  exports: [GenerationEvents],
})
export class GenerationsModule {}
