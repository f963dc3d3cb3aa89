import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller.js';
import { StatsService } from './stats.service.js';
import { UsageModule } from '../usage/usage.module.js';

@Module({
  imports: [UsageModule],
  controllers: [AdminController],
  providers: [StatsService],
  exports: [StatsService],
})
export class AdminModule {}
