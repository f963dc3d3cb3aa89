import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadRequestException, HttpException } from '@nestjs/common';
import chain from 'stream-chain';
import { parser } from 'stream-json';
import type { ParserOptions } from 'stream-json/parser.js';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import { streamValues } from 'stream-json/streamers/stream-values.js';

/**
 * Bounds on what the streaming parser holds at once: nesting (ChatGPT's nodes nest about 10 deep) and
 * one string, key or number, past which the file is refused rather than held.
 */
const PARSER_LIMITS = { maxDepth: 64, maxPackedLength: 4 * 1024 * 1024 };

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const BOM = [0xef, 0xbb, 0xbf];

/** The first byte of the text that is not a byte-order mark or whitespace, and the chunks read to find it. */
async function firstByte(source: AsyncIterator<Buffer>): Promise<{ byte: number | null; read: Buffer[] }> {
  const read: Buffer[] = [];
  let offset = 0; // bytes before this chunk
  for (;;) {
    const next = await source.next();
    if (next.done) return { byte: null, read };
    const chunk = Buffer.from(next.value);
    read.push(chunk);
    for (let i = 0; i < chunk.length; i++) {
      const position = offset + i;
      if (position < BOM.length && chunk[i] === BOM[position]) continue;
      if (!WHITESPACE.has(chunk[i])) return { byte: chunk[i], read };
    }
    offset += chunk.length;
  }
}

/** A parser error as the client sees it: a 400, unless the source failed on its own (a 413 passes). */
function asImportError(error: unknown): unknown {
  if (error instanceof HttpException) return error;
  return new BadRequestException(`The file is not valid JSON: ${(error as Error).message}`);
}

/**
 * A file's bytes once their first character says the file is an array (ChatGPT's `conversations.json`)
 * or objects (one exported session, or JSON Lines of them), with the parser for it: a 400 otherwise.
 */
async function parsedFile(
  bytes: AsyncIterable<Buffer>,
  options: ParserOptions = {},
): Promise<{ array: boolean; rest: Readable; tokens: ReturnType<typeof parser> }> {
  const source = bytes[Symbol.asyncIterator]();
  const { byte, read } = await firstByte(source);
  if (byte === null) throw new BadRequestException('The file is empty.');
  const array = byte === 0x5b; // [
  if (!array && byte !== 0x7b)
    // {
    throw new BadRequestException(
      'The file is not JSON of a known shape: an array of conversations (ChatGPT), or session objects (JSON Lines).',
    );
  const rest = Readable.from(
    (async function* () {
      yield* read;
      for (let next = await source.next(); !next.done; next = await source.next()) yield next.value;
    })(),
    { objectMode: false },
  );
  return { array, rest, tokens: parser({ ...options, ...PARSER_LIMITS, jsonStreaming: !array }) };
}

/**
 * The conversations of an import file, one at a time as the bytes arrive (the source is read only as
 * fast as they are consumed): the items of a top-level array (ChatGPT's `conversations.json`), or
 * successive top-level objects (one exported session, or JSON Lines of them). A file that starts with
 * anything else, or stops being JSON, is a 400; errors of the source itself (a 413) pass through.
 */
export async function* conversationsOf(bytes: AsyncIterable<Buffer>): AsyncGenerator<unknown> {
  const { array, rest, tokens } = await parsedFile(bytes);
  const items = array ? chain([rest, tokens, streamArray()]) : chain([rest, tokens, streamValues()]);
  try {
    for await (const item of items as AsyncIterable<{ value: unknown }>) yield item.value;
  } catch (error) {
    throw asImportError(error);
  } finally {
    items.destroy();
  }
}

/**
 * Reads a whole import file into a private temporary file while checking that it is JSON of a known
 * shape (the same parser and limits as {@link conversationsOf}, its tokens dropped as they come), then
 * calls `use` with that copy's bytes and deletes it. A file that is not valid JSON, or too large, fails
 * here, before `use` sees any of it; memory holds one chunk and the parser's state, not the file.
 */
export async function withCheckedCopy<T>(
  bytes: AsyncIterable<Buffer>,
  use: (copy: AsyncIterable<Buffer>) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'chatbot-import-'));
  const path = join(dir, 'import.json');
  try {
    const file = await open(path, 'wx', 0o600);
    try {
      const copied = (async function* () {
        for await (const chunk of bytes) {
          await file.write(chunk);
          yield chunk;
        }
      })();
      // Packed values only (the same ones, so the same limits apply): fewer tokens to drop.
      const { rest, tokens } = await parsedFile(copied, { streamValues: false });
      await pipeline(
        chain([rest, tokens]),
        new Writable({ objectMode: true, write: (_token, _encoding, done) => done() }),
      );
    } catch (error) {
      throw asImportError(error);
    } finally {
      await file.close();
    }
    return await use(createReadStream(path));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
