import { Module } from '@nestjs/common';
import { SearchController } from './search.controller.js';
import { SearchLanguageSync } from './search-language.sync.js';
import { SearchService } from './search.service.js';

@Module({
  controllers: [SearchController],
  providers: [SearchService, SearchLanguageSync],
})
export class SearchModule {}
