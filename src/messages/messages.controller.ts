import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { ChatSessionsService } from '../chat-sessions/chat-sessions.service.js';
import { PageQueryDto } from '../chat-sessions/dto/chat-session.dto.js';
import { CurrentUser } from '../common/decorators.js';
import { ChatTurnService } from './chat-turn.service.js';
import { ChatTurnDto, MessageDto, MessagePageDto, SendMessageDto } from './dto/message.dto.js';
import { MessagesService } from './messages.service.js';

@ApiTags('messages')
@ApiBearerAuth('bearer')
@Controller('api/v1/chat-sessions/:id/messages')
export class MessagesController {
  constructor(
    private readonly sessions: ChatSessionsService,
    private readonly messages: MessagesService,
    private readonly turns: ChatTurnService,
  ) {}

  /** The session's messages, oldest first (keyset pagination). */
  @Get()
  async list(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Query() query: PageQueryDto,
  ): Promise<MessagePageDto> {
    const session = await this.sessions.get(caller.id, id);
    const page = await this.messages.page(session.id, query.limit ?? 50, query.cursor);
    return { data: page.messages.map((m) => MessageDto.from(m)), next_cursor: page.nextCursor };
  }

  /**
   * Sends a message and returns it with the answer. The provider sees the system prompt and the latest
   * turns that fit the context budget. Provider failure: 502, 503 or 504, with both messages stored.
   */
  @Post()
  async send(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Body() dto: SendMessageDto,
  ): Promise<ChatTurnDto> {
    const turn = await this.turns.send(caller, id, dto.content);
    return {
      user_message: MessageDto.from(turn.userMessage),
      assistant_message: MessageDto.from(turn.assistantMessage),
    };
  }
}
