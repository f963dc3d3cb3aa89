import { Readable } from 'node:stream';
import { BadRequestException, HttpException } from '@nestjs/common';
import chain from 'stream-chain';
import { parser } from 'stream-json';
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

/**
 * The conversations of an import file, one at a time as the bytes arrive (the source is read only as
 * fast as they are consumed): the items of a top-level array (ChatGPT's `conversations.json`), or
 * successive top-level objects (one exported session, or JSON Lines of them). A file that starts with
 * anything else, or stops being JSON, is a 400; errors of the source itself (a 413) pass through.
 */
export async function* conversationsOf(bytes: AsyncIterable<Buffer>): AsyncGenerator<unknown> {
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
  const options = { ...PARSER_LIMITS, jsonStreaming: !array };
  const items = array
    ? chain([rest, parser(options), streamArray()])
    : chain([rest, parser(options), streamValues()]);
  try {
    for await (const item of items as AsyncIterable<{ value: unknown }>) yield item.value;
  } catch (error) {
    if (error instanceof HttpException) throw error;
    throw new BadRequestException(`The file is not valid JSON: ${(error as Error).message}`);
  } finally {
    items.destroy();
  }
}
