import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestApp, TestApp } from './utils/test-app.js';

interface Schema {
  $ref?: string;
  type?: string;
  oneOf?: Schema[];
  properties?: Record<string, unknown>;
  additionalProperties?: unknown;
}
interface Media {
  schema?: Schema;
}
interface Response {
  description?: string;
  content?: Record<string, Media>;
}
interface Operation {
  operationId: string;
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  requestBody?: { content?: Record<string, Media> };
  responses: Record<string, Response>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, Record<string, string>> };
  tags?: { name: string }[];
}

const TAGS = [
  'auth',
  'chat sessions',
  'messages',
  'usage',
  'search',
  'api keys',
  'export and import',
  'seed-compatible accounts',
  'seed-compatible chat',
  'gateway',
  'admin',
  'health',
];

/** Every route of the three families (API.md), each also served under `/api/` where the seed did. */
const ROUTES = [
  'get /health',
  'post /api/v1/auth/register',
  'post /api/v1/auth/login',
  'post /api/v1/auth/refresh',
  'post /api/v1/auth/logout',
  'post /api/v1/auth/verify',
  'get /api/v1/auth/me',
  'post /api/v1/chat-sessions',
  'get /api/v1/chat-sessions',
  'get /api/v1/chat-sessions/{id}',
  'patch /api/v1/chat-sessions/{id}',
  'delete /api/v1/chat-sessions/{id}',
  'get /api/v1/chat-sessions/{id}/messages',
  'post /api/v1/chat-sessions/{id}/messages',
  'post /api/v1/chat-sessions/{id}/messages/{messageId}/edit',
  'get /api/v1/search',
  'post /api/v1/chat-sessions/{id}/messages/{messageId}/regenerate',
  'get /api/v1/chat-sessions/{id}/messages/{messageId}/stream',
  'post /api/v1/chat-sessions/{id}/messages/{messageId}/stop',
  'get /api/v1/chat-sessions/{id}/export',
  'get /api/v1/export',
  'post /api/v1/import',
  'get /api/v1/admin/stats',
  'get /api/v1/admin/usage',
  'get /api/v1/me',
  'get /api/v1/me/usage',
  'post /api/v1/api-keys',
  'get /api/v1/api-keys',
  'delete /api/v1/api-keys/{id}',
  'post /api/v1/accounts/register',
  'post /api/v1/accounts/login',
  'post /api/v1/accounts/logout',
  'post /api/v1/chat',
  'get /api/v1/chat/chats-history',
  'get /api/v1/chat/chats/{sessionId}',
  ...['', '/api'].flatMap((prefix) => [
    `post ${prefix}/register`,
    `post ${prefix}/login`,
    `get ${prefix}/chatsessions`,
    `post ${prefix}/chatsessions`,
    `get ${prefix}/chatsessions/{id}`,
    `put ${prefix}/chatsessions/{id}`,
    `patch ${prefix}/chatsessions/{id}`,
    `delete ${prefix}/chatsessions/{id}`,
    `get ${prefix}/chatsessions/{id}/messages`,
    `post ${prefix}/chatsessions/{id}/messages`,
  ]),
  'post /api/token',
  'post /api/token/refresh',
  'post /api/token/verify',
  'get /v1/models',
  'post /v1/chat/completions',
];

/** Routes that need no credentials: documented without security. */
const PUBLIC = new Set([
  'get /health',
  'post /api/v1/auth/register',
  'post /api/v1/auth/login',
  'post /api/v1/auth/refresh',
  'post /api/v1/auth/verify',
  'post /api/v1/accounts/register',
  'post /api/v1/accounts/login',
  'post /register',
  'post /login',
  'post /api/register',
  'post /api/login',
  'post /api/token',
  'post /api/token/refresh',
  'post /api/token/verify',
]);

/** POST/PUT/PATCH routes that take no body. */
const BODILESS = new Set([
  'post /api/v1/accounts/logout',
  'post /api/v1/chat-sessions/{id}/messages/{messageId}/stop',
]);

const NATIVE = /^\/api\/v1\/(auth|chat-sessions|search|admin|api-keys|me|export|import)(\/|$)/;
const QUICK_CHAT = /^\/api\/v1\/(accounts|chat)(\/|$)/;
/** The OpenAI-compatible gateway: API keys only, errors in OpenAI's shape. */
const GATEWAY = /^\/v1\//;

describe('OpenAPI document (/docs-json)', () => {
  let t: TestApp;
  let doc: Document;
  let operations: [string, Operation][];

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.http.get('/docs-json').expect(200)).body as Document;
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]): [string, Operation] => [`${method} ${path}`, op]),
    );
  });
  afterAll(async () => {
    await t.close();
  });

  /** The schema a `$ref` names, failing the test when it names nothing. */
  function resolveSchema(schema: Schema | undefined, where: string): Schema {
    expect({ where, schema }).toEqual({ where, schema: expect.any(Object) });
    const ref = (schema as Schema).$ref;
    if (!ref) return schema as Schema;
    const name = ref.replace('#/components/schemas/', '');
    expect({ where, ref, defined: name in doc.components.schemas }).toEqual({ where, ref, defined: true });
    return doc.components.schemas[name];
  }

  /** A schema that says something: a reference, a type, or alternatives. */
  function expectMeaningful(schema: Schema | undefined, where: string): void {
    const resolved = resolveSchema(schema, where);
    const meaningful = Boolean(resolved.type || resolved.oneOf || resolved.properties);
    expect({ where, meaningful }).toEqual({ where, meaningful: true });
    for (const alternative of resolved.oneOf ?? []) resolveSchema(alternative, where);
  }

  it('documents every route of the three families, and no other', () => {
    expect(operations.map(([key]) => key).sort()).toEqual([...ROUTES].sort());
  });

  it('gives every operation a summary, one known tag and a unique operationId', () => {
    for (const [key, op] of operations) {
      expect({ key, summary: typeof op.summary === 'string' && op.summary.trim().length > 0 }).toEqual({
        key,
        summary: true,
      });
      expect({ key, tags: op.tags }).toEqual({ key, tags: [expect.stringMatching(/./)] });
      expect(TAGS).toContain(op.tags?.[0]);
    }
    const ids = operations.map(([, op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect((doc.tags ?? []).map((tag) => tag.name)).toEqual(TAGS);
  });

  it('describes the request body of every route that takes one', () => {
    for (const [key, op] of operations) {
      const method = key.split(' ')[0];
      const takesBody = ['post', 'put', 'patch'].includes(method) && !BODILESS.has(key);
      expect({ key, hasBody: Boolean(op.requestBody) }).toEqual({ key, hasBody: takesBody });
      if (takesBody) expectMeaningful(op.requestBody?.content?.['application/json']?.schema, `${key} body`);
    }
  });

  it('gives every operation a 2xx response with a schema (or a 204)', () => {
    for (const [key, op] of operations) {
      const success = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      expect({ key, successes: success.length > 0 }).toEqual({ key, successes: true });
      for (const [status, response] of success) {
        if (status === '204') {
          expect({ key, content: response.content }).toEqual({ key, content: undefined });
          continue;
        }
        const media = Object.values(response.content ?? {});
        expect({ key, status, media: media.length > 0 }).toEqual({ key, status, media: true });
        for (const m of media) expectMeaningful(m.schema, `${key} ${status}`);
      }
    }
  });

  it('documents error responses: problem details on the native API, the seed shapes on theirs', () => {
    for (const [key, op] of operations) {
      const path = key.split(' ')[1];
      const errors = Object.entries(op.responses).filter(([status]) => /^[45]\d\d$/.test(status));
      expect({ key, errors: errors.length > 0 }).toEqual({ key, errors: true });
      for (const [status, response] of errors) {
        const where = `${key} ${status}`;
        expect({ where, description: Boolean(response.description) }).toEqual({ where, description: true });
        if (path === '/health') continue; // @nestjs/terminus documents its own 503
        const types = Object.keys(response.content ?? {});
        if (NATIVE.test(path)) {
          expect({ where, types }).toEqual({ where, types: ['application/problem+json'] });
          // A refused chat turn's 429 extends problem details with the budget's members; a refused import's
          // 400 has each conversation's index, title and reason in `errors`.
          const schema =
            status === '429' && /\/messages/.test(path)
              ? 'TurnRefusedProblemDto'
              : status === '400' && path === '/api/v1/import'
                ? 'ImportProblemDto'
                : 'ProblemDetailsDto';
          expect(response.content?.['application/problem+json'].schema).toEqual({
            $ref: `#/components/schemas/${schema}`,
          });
        } else {
          expect({ where, types }).toEqual({ where, types: ['application/json'] });
          const schema = response.content?.['application/json'].schema;
          expectMeaningful(schema, where);
          expect(JSON.stringify(schema)).not.toContain('ProblemDetailsDto');
        }
      }
    }
    expect(doc.components.schemas.ProblemDetailsDto).toMatchObject({
      properties: {
        type: expect.any(Object),
        title: expect.any(Object),
        status: expect.any(Object),
        detail: expect.any(Object),
        errors: { type: 'array', items: { $ref: '#/components/schemas/FieldErrorDto' } },
        request_id: expect.any(Object),
      },
      required: expect.arrayContaining(['type', 'title', 'status', 'detail', 'request_id']),
    });
    expect(doc.components.schemas.ProblemDetailsDto).not.toHaveProperty(
      'required',
      expect.arrayContaining(['errors']),
    );
    expect(doc.components.schemas.ImportProblemDto).toMatchObject({
      properties: { errors: { type: 'array', items: { $ref: '#/components/schemas/ImportFailureDto' } } },
    });
    expect(doc.components.schemas.ImportFailureDto).toMatchObject({
      required: expect.arrayContaining(['field', 'message', 'index', 'title', 'reason']),
    });
  });

  it('documents the security of each route: bearer or Token (Token first on quick-chat), none when public', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes['api-key']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.token).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
    });
    for (const [key, op] of operations) {
      const schemes = (op.security ?? []).flatMap((requirement) => Object.keys(requirement));
      const path = key.split(' ')[1];
      let expected: string[] = [];
      if (GATEWAY.test(path)) expected = ['api-key'];
      else if (!PUBLIC.has(key)) expected = QUICK_CHAT.test(path) ? ['token', 'bearer'] : ['bearer', 'token'];
      expect({ key, schemes }).toEqual({ key, schemes: expected });
      if (!PUBLIC.has(key)) expect({ key, has401: '401' in op.responses }).toEqual({ key, has401: true });
    }
  });

  it('documents the streamed answer next to the JSON one', () => {
    const send = doc.paths['/api/v1/chat-sessions/{id}/messages'].post;
    expect(send.responses['201'].content?.['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ChatTurnDto',
    });
    const stream = send.responses['200'].content?.['text/event-stream'];
    expect(stream?.schema).toMatchObject({ type: 'string' });
    const example = (stream?.schema as { example?: string }).example ?? '';
    for (const event of ['message.created', 'delta', 'message.completed'])
      expect(example).toContain(`event: ${event}\n`);
    expect(example).toMatch(/"message_id":.*"text":/);
    for (const event of ['message.created', 'delta', 'message.completed', 'error'])
      expect(send.responses['200'].description).toContain(`\`${event}\``);
  });

  it('is what `node dist/openapi.js` generates without a database (keys sorted)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['dist/openapi.js', '--out', '-'], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const sortKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(sortKeys)
        : value && typeof value === 'object'
          ? Object.fromEntries(
              Object.keys(value)
                .sort()
                .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
            )
          : value;
    expect(stdout).toBe(`${JSON.stringify(sortKeys(doc), null, 2)}\n`);
  });
});
