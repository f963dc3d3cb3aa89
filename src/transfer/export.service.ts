import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { ChatSession } from '../chat-sessions/chat-session.entity.js';
import { SessionNotFoundException } from '../chat-sessions/chat-session.errors.js';
import { ChatSessionsService } from '../chat-sessions/chat-sessions.service.js';
import { UUID_PATTERN } from '../common/keyset-cursor.js';
import { Message } from '../messages/message.entity.js';
import type { SessionExportDto } from './dto/transfer.dto.js';
import { toExport } from './session-export.js';

/** Sessions per batch of the full export, and messages per page read for a batch. */
const SESSION_BATCH = 50;
const MESSAGE_PAGE = 1000;

/** Sessions in the export format: one, or all of a user's as JSON Lines. */
@Injectable()
export class ExportService {
  constructor(
    private readonly chatSessions: ChatSessionsService,
    @InjectRepository(ChatSession) private readonly sessions: Repository<ChatSession>,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
  ) {}

  /** One of the caller's sessions with its whole tree. SessionNotFoundException when it is not the caller's. */
  async session(userId: string, sessionId: string): Promise<SessionExportDto> {
    if (!UUID_PATTERN.test(sessionId)) throw new SessionNotFoundException();
    const session = await this.sessions.findOneBy({ id: sessionId, userId });
    if (!session) throw new SessionNotFoundException();
    const messages = await this.messages.find({ where: { sessionId }, order: { seq: 'ASC' } });
    return toExport(session, messages);
  }

  /**
   * Every session of a user, one JSON line each, produced as the consumer reads: sessions are read 50 at a
   * time (the session list's keyset, most recently active first), their messages 1,000 rows at a time in
   * session order, and each session is written once its last message is read. Memory holds one batch's
   * session rows, one page and the session being written, however many there are.
   */
  async *lines(userId: string): AsyncGenerator<string> {
    let cursor: string | undefined;
    do {
      const page = await this.chatSessions.list(userId, SESSION_BATCH, cursor);
      cursor = page.nextCursor ?? undefined;
      // The order PostgreSQL sorts uuids in (bytes, the same as their lowercase text).
      const ids = page.sessions.map((s) => s.id).sort();
      if (ids.length === 0) break;
      const byId = new Map((await this.sessions.findBy({ id: In(ids), userId })).map((s) => [s.id, s]));
      const line = (id: string, messages: Message[]): string => {
        const session = byId.get(id); // a session deleted between the two reads is left out
        return session ? `${JSON.stringify(toExport(session, messages))}\n` : '';
      };
      let next = 0;
      let messages: Message[] = [];
      for await (const message of this.messagesOf(ids)) {
        for (; ids[next] !== message.sessionId; next++, messages = []) yield line(ids[next], messages);
        messages.push(message);
      }
      for (; next < ids.length; next++, messages = []) yield line(ids[next], messages);
    } while (cursor);
  }

  /** The messages of some sessions by session, then `seq`: keyset pages on (session_id, seq), its unique index. */
  private async *messagesOf(sessionIds: string[]): AsyncGenerator<Message> {
    let after: { sessionId: string; seq: string } | null = null;
    for (;;) {
      const query = this.messages
        .createQueryBuilder('m')
        .where('m.sessionId IN (:...sessionIds)', { sessionIds })
        .orderBy('m.sessionId', 'ASC')
        .addOrderBy('m.seq', 'ASC')
        .limit(MESSAGE_PAGE);
      if (after) query.andWhere('(m.session_id, m.seq) > (:sessionId::uuid, :seq::bigint)', after);
      const page = await query.getMany();
      yield* page;
      if (page.length < MESSAGE_PAGE) return;
      const last = page[page.length - 1];
      after = { sessionId: last.sessionId, seq: last.seq };
    }
  }
}
