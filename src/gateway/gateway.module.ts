import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { LlmModule } from '../llm/llm.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { GatewayModelsService } from './gateway-models.service.js';
import { GatewayController } from './gateway.controller.js';
import { GatewayService } from './gateway.service.js';

/** The OpenAI-compatible gateway, `/v1/models` and `/v1/chat/completions` (API keys only). */
@Module({
  imports: [AuthModule, LlmModule, MessagesModule],
  controllers: [GatewayController],
  providers: [GatewayModelsService, GatewayService],
})
export class GatewayModule {}
