import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import type { ChatSession } from '../chat-sessions/chat-session.entity.js';
import { ChatSessionsService } from '../chat-sessions/chat-sessions.service.js';
import { CurrentUser } from '../common/decorators.js';
import { ChatTurnService } from '../messages/chat-turn.service.js';
import { Exchange, MessagesService } from '../messages/messages.service.js';
import { SeedPromptDto, SeedSessionDto } from './dto/seed-chat.dto.js';
import { seedMessageText } from './seed-message.js';

interface SeedSession {
  id: string;
  user: string;
  title: string | null;
  started_at: string;
  updated_at: string;
}

interface SeedExchange {
  id: string;
  session: string;
  prompt: string;
  response: string;
  created_at: string;
}

const toSeedSession = (s: ChatSession): SeedSession => ({
  id: s.id,
  user: s.userId,
  title: s.title,
  started_at: s.createdAt.toISOString(),
  updated_at: s.updatedAt.toISOString(),
});

const toSeedExchange = (e: Exchange): SeedExchange => ({
  id: e.id,
  session: e.sessionId,
  prompt: e.prompt,
  response: e.response,
  created_at: e.createdAt.toISOString(),
});

/** The sessions seed's `/chatsessions/*` API, at the root and under `/api/`. Auth: `Bearer <access>`. */
@ApiTags('seed-compatible chat')
@ApiBearerAuth('bearer')
@Controller(['chatsessions', 'api/chatsessions'])
export class SessionsSeedChatController {
  constructor(
    private readonly sessions: ChatSessionsService,
    private readonly messages: MessagesService,
    private readonly turns: ChatTurnService,
  ) {}

  @Get()
  async list(@CurrentUser() caller: AuthUser): Promise<SeedSession[]> {
    return (await this.sessions.listAll(caller.id, 'activity')).map(toSeedSession);
  }

  @Post()
  async create(@CurrentUser() caller: AuthUser, @Body() dto: SeedSessionDto): Promise<SeedSession> {
    return toSeedSession(await this.sessions.create(caller.id, { title: dto.title }));
  }

  @Get(':id')
  async get(@CurrentUser() caller: AuthUser, @Param('id') id: string): Promise<SeedSession> {
    return toSeedSession(await this.sessions.get(caller.id, id));
  }

  @Put(':id')
  async replace(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Body() dto: SeedSessionDto,
  ): Promise<SeedSession> {
    return toSeedSession(await this.sessions.update(caller.id, id, { title: dto.title ?? null }));
  }

  @Patch(':id')
  async update(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Body() dto: SeedSessionDto,
  ): Promise<SeedSession> {
    return toSeedSession(await this.sessions.update(caller.id, id, { title: dto.title }));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@CurrentUser() caller: AuthUser, @Param('id') id: string): Promise<void> {
    await this.sessions.remove(caller.id, id);
  }

  /** Each exchange as one object: `{id, session, prompt, response, created_at}`. */
  @Get(':id/messages')
  async exchanges(@CurrentUser() caller: AuthUser, @Param('id') id: string): Promise<SeedExchange[]> {
    const session = await this.sessions.get(caller.id, id);
    return (await this.messages.exchanges(session.id)).map(toSeedExchange);
  }

  /** `{prompt}` → 201 the exchange, answered with the session's earlier turns as memory. */
  @Post(':id/messages')
  async send(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Body() dto: SeedPromptDto,
  ): Promise<SeedExchange> {
    const session = await this.sessions.get(caller.id, id);
    const prompt = seedMessageText(dto.prompt, 'Prompt cannot be empty');
    const turn = await this.turns.send(caller, session.id, prompt);
    return toSeedExchange({
      id: turn.userMessage.id,
      sessionId: session.id,
      prompt,
      response: turn.assistantMessage.content,
      createdAt: turn.userMessage.createdAt,
    });
  }
}
