import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import { loadConfig } from './config/app-config.js';
import { buildOpenApiDocument } from './swagger.js';

/** `openapi.json` at the repository root (this file runs as `dist/openapi.js`). */
export const OPENAPI_FILE = fileURLToPath(new URL('../openapi.json', import.meta.url));

/**
 * The OpenAPI document of the app, made without a database and without listening: Nest's preview mode
 * scans modules and controllers (all the document needs) but instantiates no provider. The config is
 * a fixed test one, so the document does not depend on this machine's environment.
 */
export async function generateOpenApiDocument(): Promise<OpenAPIObject> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatbot-openapi-')); // never opened in preview mode
  try {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot(config),
      new FastifyAdapter(),
      {
        preview: true,
        logger: false,
        abortOnError: false,
      },
    );
    try {
      return buildOpenApiDocument(app);
    } finally {
      await app.getHttpAdapter().close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Objects with their keys sorted, recursively (arrays keep their order): a stable serialization. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** The document as written to `openapi.json`: sorted keys, 2-space indent, trailing newline. */
export function serializeOpenApi(document: unknown): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}

function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `line ${at + 1}:\n  committed: ${b[at] ?? '(end of file)'}\n  generated: ${a[at] ?? '(end of file)'}`;
}

/**
 * `node dist/openapi.js` writes openapi.json; `--out FILE` writes elsewhere (`-` for stdout);
 * `--check` compares instead and exits 1 when the committed file is missing or differs.
 */
async function main(argv: string[]): Promise<number> {
  const outIndex = argv.indexOf('--out');
  const target = outIndex >= 0 ? argv[outIndex + 1] : OPENAPI_FILE;
  if (!target) throw new Error('--out needs a file name');
  const text = serializeOpenApi(await generateOpenApiDocument());
  const fromCwd = relative(process.cwd(), resolve(target));
  const shown = fromCwd && !fromCwd.startsWith('..') ? fromCwd : target;
  if (argv.includes('--check')) {
    let committed: string;
    try {
      committed = readFileSync(target, 'utf8');
    } catch {
      console.error(`${shown} is missing: run \`npm run openapi\` and commit it.`);
      return 1;
    }
    if (committed !== text) {
      console.error(
        `${shown} is out of date with the code (${firstDifference(text, committed)})\n` +
          'Run `npm run openapi` and commit the result.',
      );
      return 1;
    }
    console.log(`${shown} is up to date.`);
    return 0;
  }
  if (target === '-') {
    // Written before the process exits: a pipe takes 64 KiB at once, and process.exit drops the rest.
    await new Promise<void>((done, fail) =>
      process.stdout.write(text, (error) => (error ? fail(error) : done())),
    );
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${shown}`);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error('Could not generate the OpenAPI document:', error);
      process.exit(1);
    },
  );
}
