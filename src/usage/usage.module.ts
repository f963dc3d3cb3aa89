import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from '../users/user.entity.js';
import { UsersModule } from '../users/users.module.js';
import { BudgetsService } from './budgets.service.js';
import { UsageDay } from './usage-day.entity.js';
import { MeController } from './usage.controller.js';
import { UsageService } from './usage.service.js';

/** Usage reports and token budgets (the per-minute limit lives with the chat turn: ChatRateLimiter). */
@Module({
  imports: [UsersModule, TypeOrmModule.forFeature([UsageDay, User])],
  controllers: [MeController],
  providers: [BudgetsService, UsageService],
  exports: [BudgetsService, UsageService],
})
export class UsageModule {}
