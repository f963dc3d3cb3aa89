import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ChatSession } from '../chat-sessions/chat-session.entity.js';
import { UUID_PATTERN } from '../common/keyset-cursor.js';
import { RequestValidationException } from '../common/exceptions.js';
import { Message } from '../messages/message.entity.js';
import { fromChatGpt, isChatGptConversation } from './chatgpt-conversation.js';
import type { ImportReportDto } from './dto/transfer.dto.js';
import { conversationsOf, withCheckedCopy } from './import-reader.js';
import { ConversationError, type ImportedConversation, MAX_TITLE } from './imported-conversation.js';
import { fromExport, isSessionExport } from './session-export.js';

/** Errors listed in a report; the rest are only counted. */
const MAX_LISTED_ERRORS = 100;
/** Messages per INSERT statement (14 parameters each, well under PostgreSQL's 65,535). */
const INSERT_BATCH = 1000;

type Json = Record<string, unknown>;

/**
 * A 400 naming each conversation of a file and why it could not be imported: each item of `errors` has
 * the report's `{index, title, reason}` as well as the `{field, message}` of any other 400.
 */
class NothingImportedException extends RequestValidationException {
  constructor(private readonly report: ImportReportDto) {
    super(report.errors.map((e) => ({ field: `[${e.index}]`, message: e.reason })));
  }

  override errorItems(): Record<string, unknown>[] {
    return this.report.errors.map((e) => ({ field: `[${e.index}]`, message: e.reason, ...e }));
  }

  override getResponse(): string {
    return 'No conversation of the file could be imported.';
  }
}

/** A conversation of a file, in whichever format it comes, as one to import. */
function imported(value: unknown): ImportedConversation {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConversationError('a conversation must be a JSON object');
  const conversation = value as Json;
  if (isChatGptConversation(conversation)) return fromChatGpt(conversation);
  if (isSessionExport(conversation)) return fromExport(conversation);
  throw new ConversationError(
    'neither a ChatGPT conversation (no mapping) nor an exported session (no format)',
  );
}

const titleOf = (value: unknown): string | null => {
  const title = (value as Json | null)?.title;
  return typeof title === 'string' ? title.slice(0, MAX_TITLE) : null;
};

/**
 * Imports conversations into a user's account, each as a new session in a transaction of its own (whole
 * or not at all), one at a time as the checked copy of the file is read. A conversation already imported
 * into the account (its source id) is skipped, so importing a file twice adds nothing.
 */
@Injectable()
export class ImportService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Reads and imports a file's conversations. A file that is not JSON, or not of a known shape, is a 400
   * that stores nothing: the file is copied aside and its syntax checked to the end before the first
   * conversation is imported. One of which no conversation could be imported is a 400 naming each.
   */
  async importFile(userId: string, bytes: AsyncIterable<Buffer>): Promise<ImportReportDto> {
    const report: ImportReportDto = {
      imported: 0,
      failed: 0,
      skipped: { duplicates: 0, messages: 0, parts: 0 },
      errors: [],
    };
    await withCheckedCopy(bytes, async (copy) => {
      let index = 0;
      for await (const value of conversationsOf(copy)) await this.importOne(userId, value, index++, report);
    });
    if (report.failed > 0 && report.imported === 0 && report.skipped.duplicates === 0)
      throw new NothingImportedException(report);
    return report;
  }

  private async importOne(
    userId: string,
    value: unknown,
    index: number,
    report: ImportReportDto,
  ): Promise<void> {
    let conversation: ImportedConversation;
    try {
      conversation = imported(value);
    } catch (error) {
      if (!(error instanceof ConversationError)) throw error;
      report.failed++;
      if (report.errors.length < MAX_LISTED_ERRORS)
        report.errors.push({ index, title: titleOf(value), reason: error.message });
      return;
    }
    const stored = await this.dataSource.transaction((manager) => this.store(manager, userId, conversation));
    if (!stored) {
      report.skipped.duplicates++;
      return;
    }
    report.imported++;
    report.skipped.messages += conversation.skippedMessages;
    report.skipped.parts += conversation.skippedParts;
  }

  /**
   * Stores a conversation as a session with its messages; false when the account already has it (its
   * source id, or, for our own export, the very session it was exported from).
   */
  private async store(
    manager: EntityManager,
    userId: string,
    conversation: ImportedConversation,
  ): Promise<boolean> {
    const exportedFrom = /^chatbot:(.+)$/.exec(conversation.sourceId)?.[1];
    if (
      exportedFrom &&
      UUID_PATTERN.test(exportedFrom) &&
      (await manager.existsBy(ChatSession, { id: exportedFrom, userId }))
    )
      return false;
    const ids = new Map(conversation.messages.map((m) => [m.key, randomUUID()]));
    const sessionId = randomUUID();
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(ChatSession)
      .values({
        id: sessionId,
        userId,
        sourceId: conversation.sourceId,
        title: conversation.title,
        systemPrompt: conversation.systemPrompt,
        provider: conversation.provider,
        model: conversation.model,
        messageCount: conversation.messages.length,
        activeLeafId:
          conversation.activeLeafKey === null ? null : (ids.get(conversation.activeLeafKey) ?? null),
        createdAt: conversation.createdAt,
        updatedAt: conversation.updatedAt,
      })
      .orIgnore() // the account has a session of this source: a concurrent import of the same file
      .returning(['id'])
      .execute();
    if ((inserted.raw as unknown[]).length === 0) return false;
    const rows = conversation.messages.map((m) =>
      manager.create(Message, {
        id: ids.get(m.key),
        sessionId,
        parentId: m.parentKey === null ? null : (ids.get(m.parentKey) as string),
        depth: m.depth,
        role: m.role,
        content: m.content,
        status: m.status,
        provider: m.provider,
        model: m.model,
        promptTokens: m.promptTokens,
        completionTokens: m.completionTokens,
        error: m.error,
        createdAt: m.createdAt,
      }),
    );
    // Parents before children: each batch's parents are in it or stored already (their seq comes first).
    for (let i = 0; i < rows.length; i += INSERT_BATCH)
      await manager.insert(Message, rows.slice(i, i + INSERT_BATCH));
    return true;
  }
}
