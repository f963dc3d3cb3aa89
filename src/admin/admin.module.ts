import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller.js';
import { StatsService } from './stats.service.js';

@Module({ controllers: [AdminController], providers: [StatsService], exports: [StatsService] })
export class AdminModule {}
