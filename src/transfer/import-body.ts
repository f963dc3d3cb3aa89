import { Transform, type TransformCallback } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { BadRequestException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { Busboy, type BusboyInstance } from '@fastify/busboy';

/** The largest import file (a body, or the file of a multipart form). */
export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;

const JSON_TYPES = new Set([
  'application/json',
  'application/x-ndjson',
  'application/jsonl',
  'application/json-lines',
]);
const tooLarge = () => new PayloadTooLargeException('The import file is larger than 50 MiB.');

/** Passes bytes through until more than `limit` have gone by, then fails with a 413. */
class ByteLimit extends Transform {
  private seen = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) done(tooLarge());
    else done(null, chunk);
  }
}

/**
 * The bytes of an import file as they arrive: the request body itself (JSON or JSON Lines), or the
 * first file of a `multipart/form-data` form. 413 past MAX_IMPORT_BYTES (at once when Content-Length
 * says so), 415 for another content type, 400 for a form without a file.
 */
export async function importFileOf(
  request: IncomingMessage,
  contentType: string | undefined,
): Promise<AsyncIterable<Buffer>> {
  const type = contentType?.split(';', 1)[0].trim().toLowerCase() ?? '';
  if (Number(request.headers['content-length']) > MAX_IMPORT_BYTES) throw tooLarge();
  if (JSON_TYPES.has(type)) return request.pipe(new ByteLimit(MAX_IMPORT_BYTES));
  if (type !== 'multipart/form-data')
    throw new UnsupportedMediaTypeException(
      'Send the file as application/json, application/x-ndjson, or multipart/form-data.',
    );
  return new Promise((resolve, reject) => {
    let form: BusboyInstance;
    try {
      form = Busboy({
        headers: { ...request.headers, 'content-type': contentType as string },
        limits: { files: 1, fileSize: MAX_IMPORT_BYTES },
      });
    } catch (error) {
      reject(new BadRequestException(`Malformed multipart form: ${(error as Error).message}`));
      return;
    }
    form.on('file', (_field, file) => {
      const limited = new ByteLimit(MAX_IMPORT_BYTES);
      file.on('limit', () => limited.destroy(tooLarge()));
      resolve(file.pipe(limited));
    });
    form.on('error', (error: Error) =>
      reject(new BadRequestException(`Malformed multipart form: ${error.message}`)),
    );
    form.on('finish', () =>
      reject(new BadRequestException('The form has no file: send it as a file field.')),
    );
    request.pipe(form);
  });
}
