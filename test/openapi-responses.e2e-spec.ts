import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Response } from 'supertest';
import { OpenAiFake } from './fakes/openai-fake.js';
import { STRONG_PASSWORD, uniqueUsername } from './utils/auth-helpers.js';
import { openAiFakeEnv } from './utils/chat-helpers.js';
import { CliTestApp, expectSuccess } from './utils/cli-helpers.js';
import { dataOf, deferred, requestSse } from './utils/sse-client.js';

// ajv-formats is CommonJS: under ESM its default import is module.exports, the plugin is `.default`.
const addFormats = addFormatsModule.default;

interface Header {
  required?: boolean;
}
interface DocumentedResponse {
  content?: Record<string, { schema?: object }>;
  headers?: Record<string, Header>;
}
interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, DocumentedResponse>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: object;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Scheme = 'bearer' | 'token' | 'api-key';

interface Call {
  /** `Authorization: Bearer …` (a JWT, or an API key: `api-key`) or `Token …`; none when omitted. */
  auth?: { scheme: Scheme; value: string };
  body?: unknown;
  headers?: Record<string, string>;
  /** Read the answer as text whatever its type (JSON Lines, which supertest does not buffer). */
  text?: boolean;
}

/** A caller with both kinds of credentials the guard accepts. */
interface Caller {
  username: string;
  bearer: { scheme: Scheme; value: string };
  token: { scheme: Scheme; value: string };
}

/** A stream's `message.created` and `message.completed` events carry message objects, as documented. */
const MESSAGE_EVENTS = /^event: (message\.created|message\.completed)\ndata: (.*)$/gm;
const MESSAGE = { $ref: '#/components/schemas/MessageDto' };
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
/** Failed logins before a 429 (per account and per client address; addresses come from X-Forwarded-For). */
const MAX_FAILURES = 3;

/**
 * Every operation of the served document (GET /docs-json) is driven over HTTP against the real server,
 * and every answer is checked against the document: its status must be documented, its body must
 * validate (ajv, OpenAPI 3.0's `nullable` included) against the schema for its content type, and the
 * headers documented as required must be there. An operation never driven, or a documented security
 * scheme never used successfully on it, fails the suite, so new routes must be covered here.
 */
describe('real responses validate against the served OpenAPI document', () => {
  const openai = new OpenAiFake();
  let app: CliTestApp;
  let doc: Document;
  let ajv: Ajv;
  const validators = new Map<object, ValidateFunction>();
  /** Operation key (`post /api/v1/chat`) → the statuses seen. */
  const exercised = new Map<string, Set<number>>();
  /** Operation key → the security schemes it answered 2xx to. */
  const schemesAccepted = new Map<string, Set<Scheme>>();
  let alice: Caller;
  let admin: Caller;
  let nextAddress = 1;

  beforeAll(async () => {
    const { baseUrl } = await openai.start();
    app = await CliTestApp.start({
      ...openAiFakeEnv(baseUrl),
      LLM_TIMEOUT_MS: '1500',
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      TRUST_PROXY: 'true',
    });
    const adminName = uniqueUsername('oa_admin');
    await app.withCli(async ({ run }) => {
      expectSuccess(
        await run(['create-user', '--username', adminName, '--password', STRONG_PASSWORD, '--admin']),
      );
    });
    doc = (await app.http.get('/docs-json').expect(200)).body as Document;
    ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    alice = await newCaller();
    admin = await callerOf(adminName);
  });
  afterAll(async () => {
    await app?.close();
    await openai.stop();
  });

  /** The documented operation a request path falls under (path parameters as `{name}`), or undefined. */
  function operationOf(method: Method, url: string): [string, Operation] | undefined {
    const path = url.split('?', 1)[0].replace(/(.)\/$/, '$1');
    for (const [template, operations] of Object.entries(doc.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      if (pattern.test(path) && operations[method]) return [`${method} ${template}`, operations[method]];
    }
    return undefined;
  }

  function validatorFor(schema: object): ValidateFunction {
    let validate = validators.get(schema);
    if (!validate) {
      // The schema's `#/components/...` references resolve against this root.
      validate = ajv.compile({ components: doc.components, allOf: [schema] });
      validators.set(schema, validate);
    }
    return validate;
  }

  function expectValid(where: string, schema: object, value: unknown): void {
    const validate = validatorFor(schema);
    validate(value);
    expect({ where, value, errors: validate.errors ?? null }).toEqual({ where, value, errors: null });
  }

  /** Checks one real answer against the document and records what it exercised. */
  function check(method: Method, url: string, call: Call, res: Response): void {
    const text = typeof res.body === 'string' ? res.body : res.text; // `call.text` parses into the body
    const found = operationOf(method, url);
    const where = `${method.toUpperCase()} ${url} → ${res.status}`;
    expect({ where, documented: Boolean(found) }).toEqual({ where, documented: true });
    const [key, operation] = found as [string, Operation];
    const documented = operation.responses[String(res.status)];
    expect({ where, statusDocumented: Boolean(documented), body: text.slice(0, 300) }).toEqual({
      where,
      statusDocumented: true,
      body: text.slice(0, 300),
    });
    const mediaType = (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!documented.content) {
      expect({ where, body: text }).toEqual({ where, body: '' });
    } else {
      const media = documented.content[mediaType];
      expect({ where, mediaType, documented: Object.keys(documented.content) }).toEqual({
        where,
        mediaType,
        documented: expect.arrayContaining([mediaType]),
      });
      const stream = mediaType === 'text/event-stream';
      if (mediaType === 'application/x-ndjson')
        for (const line of text.split('\n').filter(Boolean))
          expectValid(`${where} line`, media?.schema ?? {}, JSON.parse(line) as unknown);
      else
        expectValid(
          where,
          media?.schema ?? {},
          stream || mediaType.startsWith('text/') ? text : (res.body as unknown),
        );
      if (stream)
        for (const [, event, data] of text.matchAll(MESSAGE_EVENTS))
          expectValid(`${where} ${event}`, MESSAGE, JSON.parse(data) as unknown);
    }
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      if (header.required)
        expect({ where, header: name, value: res.headers[name.toLowerCase()] }).toEqual({
          where,
          header: name,
          value: expect.stringMatching(/\S/),
        });
    }
    if (call.auth) {
      const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
      if (res.status < 300) {
        expect({ where, scheme: call.auth.scheme, documented: schemes }).toEqual({
          where,
          scheme: call.auth.scheme,
          documented: expect.arrayContaining([call.auth.scheme]),
        });
        if (!schemesAccepted.has(key)) schemesAccepted.set(key, new Set());
        schemesAccepted.get(key)?.add(call.auth.scheme);
      }
    }
    if (!exercised.has(key)) exercised.set(key, new Set());
    exercised.get(key)?.add(res.status);
  }

  /** Sends a request, checks its answer against the document, and returns it. */
  async function api(method: Method, url: string, call: Call = {}): Promise<Response> {
    let req = app.http[method](url).set('X-Forwarded-For', '10.9.0.1');
    if (call.auth) {
      const prefix = call.auth.scheme === 'token' ? 'Token' : 'Bearer';
      req = req.set('Authorization', `${prefix} ${call.auth.value}`);
    }
    for (const [name, value] of Object.entries(call.headers ?? {})) req = req.set(name, value);
    if (call.text)
      req = req.buffer(true).parse((stream, done) => {
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (text += chunk));
        stream.on('end', () => done(null, text));
      });
    const res = await (call.body === undefined ? req : req.send(call.body as object));
    check(method, url, call, res);
    return res;
  }

  async function callerOf(username: string): Promise<Caller> {
    const login = await api('post', '/api/v1/auth/login', { body: { username, password: STRONG_PASSWORD } });
    expect(login.status).toBe(200);
    const quick = await api('post', '/api/v1/accounts/login/', {
      body: { username, password: STRONG_PASSWORD },
    });
    expect(quick.status).toBe(200);
    return {
      username,
      bearer: { scheme: 'bearer', value: login.body.access_token as string },
      token: { scheme: 'token', value: quick.body.token as string },
    };
  }

  async function newCaller(): Promise<Caller> {
    const username = uniqueUsername('oa');
    const reg = await api('post', '/api/v1/auth/register', { body: { username, password: STRONG_PASSWORD } });
    expect(reg.status).toBe(201);
    return callerOf(username);
  }

  /** Failed logins from one fresh address until the limiter answers 429; returns that answer. */
  async function throttled(url: string, username: string): Promise<Response> {
    const address = `10.8.0.${nextAddress++}`;
    const attempt = () =>
      api('post', url, {
        body: { username, password: 'wrong-Password-00' },
        headers: { 'X-Forwarded-For': address },
      });
    for (let i = 0; i < MAX_FAILURES; i++) expect((await attempt()).status).toBeLessThan(500);
    const res = await attempt();
    expect(res.status).toBe(429);
    return res;
  }

  const expectStatus = (res: Response, status: number): void =>
    expect({ status: res.status, body: res.text.slice(0, 300) }).toEqual({
      status,
      body: expect.any(String),
    });

  const sessionOf = async (caller: Caller, body: object = {}): Promise<string> => {
    const res = await api('post', '/api/v1/chat-sessions', { auth: caller.bearer, body });
    expectStatus(res, 201);
    return res.body.id as string;
  };

  describe('native auth', () => {
    it('register: 201, 400, 409', async () => {
      expectStatus(
        await api('post', '/api/v1/auth/register', {
          body: { username: 'bad name!', password: STRONG_PASSWORD },
        }),
        400,
      );
      expectStatus(
        await api('post', '/api/v1/auth/register', {
          body: { username: alice.username, password: STRONG_PASSWORD },
        }),
        409,
      );
      const withEmail = {
        username: uniqueUsername('oa_mail'),
        password: STRONG_PASSWORD,
        email: 'a@example.com',
      };
      expectStatus(await api('post', '/api/v1/auth/register', { body: withEmail }), 201);
    });

    it('login: 200, 400, 401 (with WWW-Authenticate), 429 (with Retry-After)', async () => {
      expectStatus(await api('post', '/api/v1/auth/login', { body: { username: alice.username } }), 400);
      const wrong = { username: alice.username, password: 'wrong-Password-00' };
      expectStatus(
        await api('post', '/api/v1/auth/login', { body: wrong, headers: { 'X-Forwarded-For': '10.7.0.1' } }),
        401,
      );
      await throttled('/api/v1/auth/login', uniqueUsername('oa_throttled'));
    });

    it('refresh: 200, 400, 401; verify: 200, 400, 401', async () => {
      const login = await api('post', '/api/v1/auth/login', {
        body: { username: alice.username, password: STRONG_PASSWORD },
      });
      const refresh_token = login.body.refresh_token as string;
      expectStatus(await api('post', '/api/v1/auth/refresh', { body: { refresh_token } }), 200);
      expectStatus(await api('post', '/api/v1/auth/refresh', { body: { refresh_token } }), 401); // rotated
      expectStatus(await api('post', '/api/v1/auth/refresh', { body: {} }), 400);
      expectStatus(await api('post', '/api/v1/auth/verify', { body: { token: alice.bearer.value } }), 200);
      expectStatus(await api('post', '/api/v1/auth/verify', { body: { token: 'not-a-token' } }), 401);
      expectStatus(await api('post', '/api/v1/auth/verify', { body: { token: 42 } }), 400);
    });

    it('me: 200 with either scheme, 401; logout: 204 with either scheme, 400, 401', async () => {
      for (const auth of [alice.bearer, alice.token])
        expectStatus(await api('get', '/api/v1/auth/me', { auth }), 200);
      expectStatus(await api('get', '/api/v1/auth/me'), 401);
      expectStatus(await api('get', '/api/v1/auth/me', { auth: { scheme: 'bearer', value: 'forged' } }), 401);
      const bob = await newCaller();
      expectStatus(
        await api('post', '/api/v1/auth/logout', { auth: bob.bearer, body: { refresh_token: 7 } }),
        400,
      );
      expectStatus(await api('post', '/api/v1/auth/logout', { auth: bob.bearer, body: {} }), 204);
      expectStatus(await api('post', '/api/v1/auth/logout', { auth: bob.token, body: {} }), 204);
      expectStatus(await api('post', '/api/v1/auth/logout', { body: {} }), 401);
    });
  });

  describe('native chat sessions and messages', () => {
    it('sessions: create, list, get, patch, delete with either scheme, and their 400/401/404', async () => {
      for (const auth of [alice.bearer, alice.token]) {
        const created = await api('post', '/api/v1/chat-sessions', {
          auth,
          body: { title: 'T', provider: 'openai' },
        });
        expectStatus(created, 201);
        const url = `/api/v1/chat-sessions/${created.body.id as string}`;
        expectStatus(await api('get', '/api/v1/chat-sessions?limit=1', { auth }), 200);
        expectStatus(await api('get', url, { auth }), 200);
        expectStatus(await api('patch', url, { auth, body: { provider: null, model: 'gpt-4o-mini' } }), 200);
        expectStatus(await api('delete', url, { auth }), 204);
      }
      expectStatus(
        await api('post', '/api/v1/chat-sessions', { auth: alice.bearer, body: { provider: 'nope' } }),
        400,
      );
      expectStatus(await api('post', '/api/v1/chat-sessions', { body: {} }), 401);
      expectStatus(await api('get', '/api/v1/chat-sessions?limit=0', { auth: alice.bearer }), 400);
      expectStatus(await api('get', '/api/v1/chat-sessions'), 401);
      const unknown = `/api/v1/chat-sessions/${UNKNOWN_ID}`;
      expectStatus(await api('get', unknown, { auth: alice.bearer }), 404);
      expectStatus(await api('patch', unknown, { auth: alice.bearer, body: { title: 'x' } }), 404);
      expectStatus(await api('delete', unknown, { auth: alice.bearer }), 404);
      const id = await sessionOf(alice);
      expectStatus(
        await api('patch', `/api/v1/chat-sessions/${id}`, { auth: alice.bearer, body: { title: 5 } }),
        400,
      );
      expectStatus(await api('delete', `/api/v1/chat-sessions/${id}`), 401);
    });

    it('messages: 201 (usage and null usage), an SSE 200, 400, 404, and provider failures 502/503/504', async () => {
      const id = await sessionOf(alice, { provider: 'openai', system_prompt: 'Be brief.' });
      const url = `/api/v1/chat-sessions/${id}/messages`;
      for (const auth of [alice.bearer, alice.token])
        expectStatus(await api('post', url, { auth, body: { content: 'Hello' } }), 201);
      const streamed = await api('post', url, {
        auth: alice.bearer,
        body: { content: 'Stream it' },
        headers: { Accept: 'text/event-stream' },
      });
      expectStatus(streamed, 200);
      expect(streamed.text).toContain('event: message.completed');
      openai.fail(500);
      expectStatus(await api('post', url, { auth: alice.bearer, body: { content: 'fail' } }), 502);
      openai.fail(429);
      expectStatus(await api('post', url, { auth: alice.bearer, body: { content: 'rate limited' } }), 503);
      openai.hang();
      expectStatus(await api('post', url, { auth: alice.bearer, body: { content: 'timeout' } }), 504);
      expectStatus(await api('post', url, { auth: alice.bearer, body: { content: ' ' } }), 400);
      expectStatus(
        await api('post', `/api/v1/chat-sessions/${UNKNOWN_ID}/messages`, {
          auth: alice.bearer,
          body: { content: 'x' },
        }),
        404,
      );
      expectStatus(await api('post', url, { body: { content: 'x' } }), 401);
      // The page holds answers with usage, failed ones with `usage: null`, and questions.
      for (const auth of [alice.bearer, alice.token]) {
        const page = await api('get', `${url}?limit=100`, { auth });
        expectStatus(page, 200);
        const usages = (page.body.data as { usage: unknown }[]).map((m) => m.usage);
        expect(usages).toContainEqual(null);
        expect(usages).toContainEqual({
          prompt_tokens: expect.any(Number),
          completion_tokens: expect.any(Number),
        });
      }
      expectStatus(await api('get', `${url}?cursor=%25`, { auth: alice.bearer }), 400);
      expectStatus(
        await api('get', `/api/v1/chat-sessions/${UNKNOWN_ID}/messages`, { auth: alice.bearer }),
        404,
      );
      expectStatus(await api('get', url), 401);
    });

    it('trees: edit and regenerate 201, SSE 200, 400, 404, 401, 502 with either scheme; parent_id, ?leaf= and active_leaf_id', async () => {
      const id = await sessionOf(alice, { title: 'Tree', provider: 'openai' });
      const url = `/api/v1/chat-sessions/${id}/messages`;
      const first = await api('post', url, { auth: alice.bearer, body: { content: 'Q1' } });
      expectStatus(first, 201);
      const question = first.body.user_message.id as string;
      const answer = first.body.assistant_message.id as string;
      const edit = `${url}/${question}/edit`;
      const regenerate = `${url}/${answer}/regenerate`;
      for (const auth of [alice.bearer, alice.token]) {
        expectStatus(await api('post', edit, { auth, body: { content: 'Q1 again' } }), 201);
        expectStatus(await api('post', regenerate, { auth }), 201);
      }
      expectStatus(await api('post', regenerate, { auth: alice.bearer, body: { provider: 'echo' } }), 201);
      for (const [path, body] of [
        [edit, { content: 'Q1 streamed' }],
        [regenerate, {}],
      ] as const) {
        const streamed = await api('post', path, {
          auth: alice.bearer,
          body,
          headers: { Accept: 'text/event-stream' },
        });
        expectStatus(streamed, 200);
        expect(streamed.text).toContain('event: message.completed');
      }
      openai.fail(500);
      expectStatus(await api('post', edit, { auth: alice.bearer, body: { content: 'fails' } }), 502);
      openai.fail(500);
      expectStatus(await api('post', regenerate, { auth: alice.bearer }), 502);
      expectStatus(
        await api('post', `${url}/${answer}/edit`, { auth: alice.bearer, body: { content: 'x' } }),
        400,
      );
      expectStatus(await api('post', edit, { auth: alice.bearer, body: { content: ' ' } }), 400);
      expectStatus(await api('post', `${url}/${question}/regenerate`, { auth: alice.bearer }), 400);
      expectStatus(
        await api('post', `${url}/${UNKNOWN_ID}/edit`, { auth: alice.bearer, body: { content: 'x' } }),
        404,
      );
      expectStatus(await api('post', `${url}/${UNKNOWN_ID}/regenerate`, { auth: alice.bearer }), 404);
      expectStatus(await api('post', edit, { body: { content: 'x' } }), 401);
      expectStatus(await api('post', regenerate), 401);

      // Branching, reading another path, switching.
      expectStatus(
        await api('post', url, { auth: alice.bearer, body: { content: 'Q1 bis', parent_id: null } }),
        201,
      );
      expectStatus(
        await api('post', url, { auth: alice.bearer, body: { content: 'Q2', parent_id: question } }),
        400,
      );
      expectStatus(await api('get', `${url}?leaf=${answer}`, { auth: alice.bearer }), 200);
      expectStatus(await api('get', `${url}?leaf=${UNKNOWN_ID}`, { auth: alice.bearer }), 400);
      const session = `/api/v1/chat-sessions/${id}`;
      const switched = await api('patch', session, { auth: alice.bearer, body: { active_leaf_id: answer } });
      expectStatus(switched, 200);
      expect(switched.body.active_leaf_id).toBe(answer);
      expectStatus(
        await api('patch', session, { auth: alice.bearer, body: { active_leaf_id: UNKNOWN_ID } }),
        400,
      );
    });
  });

  it('resume and stop: stream 200 with either scheme, 400, 404, 401; stop 200 with either scheme, 409, 404, 401; an idempotent replay 201', async () => {
    const id = await sessionOf(alice, { provider: 'openai' });
    const url = `/api/v1/chat-sessions/${id}/messages`;
    const slow = Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ');
    const answerIds: string[] = [];
    for (const auth of [alice.bearer, alice.token]) {
      openai.reply(slow, { chunks: 20, delayMs: 200 });
      const created = deferred<string>();
      const streaming = requestSse(`${app.baseUrl}${url}`, {
        headers: { authorization: `${auth.scheme === 'bearer' ? 'Bearer' : 'Token'} ${auth.value}` },
        body: { content: 'long' },
        onEvent: (e) => {
          if (e.event === 'message.created')
            created.resolve(dataOf<{ assistant_message_id: string }>(e).assistant_message_id);
        },
      });
      const answerId = await created.promise;
      answerIds.push(answerId);
      expectStatus(await api('post', `${url}/${answerId}/stop`, { auth }), 200);
      await streaming;
      expectStatus(
        await api('get', `${url}/${answerId}/stream`, { auth, headers: { 'Last-Event-ID': '1' } }),
        200,
      );
    }
    const answer = answerIds[0];
    expectStatus(await api('post', `${url}/${answer}/stop`, { auth: alice.bearer }), 409);
    expectStatus(await api('post', `${url}/${UNKNOWN_ID}/stop`, { auth: alice.bearer }), 404);
    expectStatus(await api('post', `${url}/${answer}/stop`), 401);
    expectStatus(await api('get', `${url}/${answer}/stream?last_event_id=x`, { auth: alice.bearer }), 400);
    expectStatus(await api('get', `${url}/${UNKNOWN_ID}/stream`, { auth: alice.bearer }), 404);
    expectStatus(await api('get', `${url}/${answer}/stream`), 401);
    const keyed = { auth: alice.bearer, body: { content: 'once' }, headers: { 'Idempotency-Key': 'oa-1' } };
    expectStatus(await api('post', url, keyed), 201);
    expectStatus(await api('post', url, keyed), 201);
  });

  it('search: 200 with either scheme, 400, 401', async () => {
    const id = await sessionOf(alice, { title: 'Searchable title' });
    expectStatus(
      await api('post', `/api/v1/chat-sessions/${id}/messages`, {
        auth: alice.bearer,
        body: { content: 'findable words' },
      }),
      201,
    );
    for (const auth of [alice.bearer, alice.token]) {
      const found = await api('get', '/api/v1/search?q=findable%20or%20searchable&limit=1', { auth });
      expectStatus(found, 200);
      expect(found.body.data).toHaveLength(1);
      expectStatus(
        await api('get', `/api/v1/search?q=findable&cursor=${found.body.next_cursor as string}`, { auth }),
        200,
      );
    }
    expectStatus(await api('get', '/api/v1/search?q=', { auth: alice.bearer }), 400);
    expectStatus(await api('get', '/api/v1/search?q=x&cursor=nope', { auth: alice.bearer }), 400);
    expectStatus(await api('get', '/api/v1/search?q=x'), 401);
  });

  it('admin stats: 200 for an admin with either scheme, 403 for a user, 401 without credentials', async () => {
    for (const auth of [admin.bearer, admin.token])
      expectStatus(await api('get', '/api/v1/admin/stats', { auth }), 200);
    expectStatus(await api('get', '/api/v1/admin/stats', { auth: alice.bearer }), 403);
    expectStatus(await api('get', '/api/v1/admin/stats'), 401);
  });

  it('me and usage: 200 with either scheme, 400, 401; admin usage 200, 400, 403, 401', async () => {
    for (const auth of [alice.bearer, alice.token]) {
      expectStatus(await api('get', '/api/v1/me', { auth }), 200);
      expectStatus(await api('get', '/api/v1/me/usage?group=model', { auth }), 200);
      expectStatus(await api('get', '/api/v1/me/usage?from=2026-01-01&to=2026-01-31', { auth }), 200);
    }
    expectStatus(await api('get', '/api/v1/me/usage?from=2026-02-30', { auth: alice.bearer }), 400);
    expectStatus(await api('get', '/api/v1/me'), 401);
    expectStatus(await api('get', '/api/v1/me/usage'), 401);
    for (const auth of [admin.bearer, admin.token])
      expectStatus(await api('get', `/api/v1/admin/usage?user=${alice.username}`, { auth }), 200);
    for (const group of ['day', 'model'])
      expectStatus(await api('get', `/api/v1/admin/usage?group=${group}`, { auth: admin.bearer }), 200);
    expectStatus(await api('get', '/api/v1/admin/usage?to=x', { auth: admin.bearer }), 400);
    expectStatus(await api('get', '/api/v1/admin/usage?group=week', { auth: admin.bearer }), 400);
    expectStatus(await api('get', '/api/v1/admin/usage', { auth: alice.bearer }), 403);
    expectStatus(await api('get', '/api/v1/admin/usage'), 401);
  });

  it('a turn over a budget: 429 with Retry-After on the native and seed routes', async () => {
    const dave = await newCaller();
    await app.withCli(async ({ run }) => {
      expectSuccess(await run(['set-quota', '--user', dave.username, '--daily', '0']));
    });
    const auth = dave.bearer;
    const id = await sessionOf(dave);
    expectStatus(
      await api('post', `/api/v1/chat-sessions/${id}/messages`, { auth, body: { content: 'x' } }),
      429,
    );
    expectStatus(await api('post', '/api/v1/chat/', { auth: dave.token, body: { message: 'x' } }), 429);
    for (const prefix of ['', '/api'])
      expectStatus(
        await api('post', `${prefix}/chatsessions/${id}/messages/`, { auth, body: { prompt: 'x' } }),
        429,
      );
  });

  it('health: 200', async () => {
    expectStatus(await api('get', '/health'), 200);
  });

  describe('quick-chat seed', () => {
    it('accounts: register 201/400, login 200/400/429, logout 200 with either scheme, 401', async () => {
      const username = uniqueUsername('oa_quick');
      const register = {
        username,
        email: `${username}@example.com`,
        password1: STRONG_PASSWORD,
        password2: STRONG_PASSWORD,
      };
      expectStatus(await api('post', '/api/v1/accounts/register/', { body: register }), 201);
      expectStatus(
        await api('post', '/api/v1/accounts/register/', { body: { ...register, password2: 'other' } }),
        400,
      );
      expectStatus(
        await api('post', '/api/v1/accounts/login/', { body: { username, password: 'wrong-Password-00' } }),
        400,
      );
      await throttled('/api/v1/accounts/login/', uniqueUsername('oa_quick_throttled'));
      const carol = await callerOf(username);
      expectStatus(await api('post', '/api/v1/accounts/logout/', { auth: carol.token }), 200);
      expectStatus(await api('post', '/api/v1/accounts/logout/', { auth: carol.bearer }), 200);
      expectStatus(await api('post', '/api/v1/accounts/logout/'), 401);
    });

    it('chat, history, transcript: 200 with either scheme, 400, 401, 404, provider failure', async () => {
      let sessionId: string | undefined;
      for (const auth of [alice.token, alice.bearer]) {
        const sent = await api('post', '/api/v1/chat/', {
          auth,
          body: { session_id: sessionId ?? null, message: 'Hi' },
        });
        expectStatus(sent, 200);
        sessionId = sent.body.session_id as string;
        expectStatus(await api('get', '/api/v1/chat/chats-history/', { auth }), 200);
        expectStatus(await api('get', `/api/v1/chat/chats/${sessionId}/`, { auth }), 200);
      }
      openai.fail(500);
      expectStatus(
        await api('post', '/api/v1/chat/', {
          auth: alice.token,
          body: { session_id: sessionId, message: 'x' },
        }),
        502,
      );
      expectStatus(await api('post', '/api/v1/chat/', { auth: alice.token, body: { message: '' } }), 400);
      expectStatus(
        await api('post', '/api/v1/chat/', {
          auth: alice.token,
          body: { session_id: UNKNOWN_ID, message: 'x' },
        }),
        404,
      );
      expectStatus(await api('post', '/api/v1/chat/', { body: { message: 'x' } }), 401);
      expectStatus(await api('get', '/api/v1/chat/chats-history/'), 401);
      expectStatus(await api('get', `/api/v1/chat/chats/${UNKNOWN_ID}/`, { auth: alice.token }), 404);
      expectStatus(await api('get', `/api/v1/chat/chats/${UNKNOWN_ID}/`), 401);
    });
  });

  describe.each(['', '/api'])('sessions seed under "%s"', (prefix) => {
    it('accounts: register 201/400, login 200/400/401/429', async () => {
      const username = uniqueUsername('oa_seed');
      const body = { username, email: `${username}@example.com`, password: STRONG_PASSWORD };
      expectStatus(await api('post', `${prefix}/register/`, { body }), 201);
      expectStatus(await api('post', `${prefix}/register/`, { body: { ...body, password: '1' } }), 400);
      expectStatus(
        await api('post', `${prefix}/login/`, { body: { username, password: STRONG_PASSWORD } }),
        200,
      );
      expectStatus(await api('post', `${prefix}/login/`, { body: { username } }), 400);
      const wrong = { username, password: 'wrong-Password-00' };
      expectStatus(
        await api('post', `${prefix}/login/`, { body: wrong, headers: { 'X-Forwarded-For': '10.7.0.2' } }),
        401,
      );
      await throttled(`${prefix}/login/`, uniqueUsername('oa_seed_throttled'));
    });

    it('chatsessions: list, create, get, put, patch, delete, messages with either scheme, and their errors', async () => {
      const base = `${prefix}/chatsessions`;
      for (const auth of [alice.bearer, alice.token]) {
        expectStatus(await api('get', `${base}/`, { auth }), 200);
        const created = await api('post', `${base}/`, { auth, body: { title: 'Seed' } });
        expectStatus(created, 201);
        const url = `${base}/${created.body.id as string}`;
        expectStatus(await api('get', `${url}/`, { auth }), 200);
        expectStatus(await api('put', `${url}/`, { auth, body: { title: 'Put' } }), 200);
        expectStatus(await api('patch', `${url}/`, { auth, body: { title: 'Patched' } }), 200);
        expectStatus(await api('post', `${url}/messages/`, { auth, body: { prompt: 'Hi' } }), 201);
        expectStatus(await api('get', `${url}/messages/`, { auth }), 200);
        expectStatus(await api('delete', `${url}/`, { auth }), 204);
      }
      const created = await api('post', `${base}/`, { auth: alice.bearer, body: {} });
      const url = `${base}/${created.body.id as string}`;
      expectStatus(await api('post', `${base}/`, { auth: alice.bearer, body: { title: 7 } }), 400);
      expectStatus(
        await api('put', `${url}/`, { auth: alice.bearer, body: { title: 'x'.repeat(201) } }),
        400,
      );
      expectStatus(await api('patch', `${url}/`, { auth: alice.bearer, body: { title: 7 } }), 400);
      expectStatus(await api('post', `${url}/messages/`, { auth: alice.bearer, body: { prompt: '' } }), 400);
      openai.fail(500);
      expectStatus(await api('post', `${url}/messages/`, { auth: alice.bearer, body: { prompt: 'x' } }), 502);
      const unknown = `${base}/${UNKNOWN_ID}`;
      expectStatus(await api('get', `${unknown}/`, { auth: alice.bearer }), 404);
      expectStatus(await api('put', `${unknown}/`, { auth: alice.bearer, body: { title: 'x' } }), 404);
      expectStatus(await api('patch', `${unknown}/`, { auth: alice.bearer, body: { title: 'x' } }), 404);
      expectStatus(await api('delete', `${unknown}/`, { auth: alice.bearer }), 404);
      expectStatus(await api('get', `${unknown}/messages/`, { auth: alice.bearer }), 404);
      expectStatus(
        await api('post', `${unknown}/messages/`, { auth: alice.bearer, body: { prompt: 'x' } }),
        404,
      );
      expectStatus(await api('get', `${base}/`), 401);
      expectStatus(await api('get', `${url}/`, { auth: { scheme: 'bearer', value: 'forged' } }), 401);
    });
  });

  describe('API keys', () => {
    it('create: 201/400/409; list: 200/401 (a key itself refused); revoke: 204/404; with either scheme', async () => {
      const bob = await newCaller();
      const created: string[] = [];
      for (const auth of [bob.bearer, bob.token]) {
        const res = await api('post', '/api/v1/api-keys', {
          auth,
          body: { name: 'laptop', expires_in_days: 30 },
        });
        expectStatus(res, 201);
        created.push(res.body.id as string);
        expectStatus(await api('get', '/api/v1/api-keys', { auth }), 200);
      }
      const key = (await api('post', '/api/v1/api-keys', { auth: bob.bearer, body: { name: 'key' } })).body
        .key as string;
      expectStatus(await api('get', '/api/v1/api-keys', { auth: { scheme: 'bearer', value: key } }), 401);
      expectStatus(await api('post', '/api/v1/api-keys', { auth: bob.bearer, body: { name: ' ' } }), 400);
      for (const [index, auth] of [bob.bearer, bob.token].entries())
        expectStatus(await api('delete', `/api/v1/api-keys/${created[index]}`, { auth }), 204);
      expectStatus(await api('delete', `/api/v1/api-keys/${created[0]}`, { auth: bob.bearer }), 404);
      for (let i = 0; i < 49; i += 1)
        await api('post', '/api/v1/api-keys', { auth: bob.bearer, body: { name: `k${i}` } });
      expectStatus(
        await api('post', '/api/v1/api-keys', { auth: bob.bearer, body: { name: 'too many' } }),
        409,
      );
    });
  });

  describe('OpenAI-compatible gateway', () => {
    it('models: 200/401; chat completions: 200 (JSON and SSE), 400, 401, 404, 413, 415, 502, 503', async () => {
      const bob = await newCaller();
      const created = await api('post', '/api/v1/api-keys', { auth: bob.bearer, body: { name: 'gateway' } });
      expectStatus(created, 201);
      const auth = { scheme: 'api-key' as const, value: created.body.key as string };
      expectStatus(await api('get', '/v1/models', { auth }), 200);
      expectStatus(await api('get', '/v1/models', { auth: bob.bearer }), 401);
      const url = '/v1/chat/completions';
      const body = { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'Hi' }] };
      expectStatus(await api('post', url, { auth, body }), 200);
      const streamed = await api('post', url, { auth, body: { ...body, stream: true }, text: true });
      expect(streamed.status).toBe(200);
      expect(streamed.body as unknown).toMatch(/data: \[DONE\]\n\n$/);
      expectStatus(await api('post', url, { auth, body: { ...body, tools: [], n: 3 } }), 400);
      expectStatus(await api('post', url, { auth: bob.token, body }), 401);
      expectStatus(await api('post', url, { auth, body: { ...body, model: 'nobody/x' } }), 404);
      const huge = { ...body, messages: [{ role: 'user', content: 'x'.repeat(1024 * 1024) }] };
      expectStatus(await api('post', url, { auth, body: huge }), 413);
      expectStatus(
        await api('post', url, { auth, body: 'model=x', headers: { 'Content-Type': 'text/plain' } }),
        415,
      );
      openai.fail(500);
      expectStatus(await api('post', url, { auth, body }), 502);
      openai.fail(429);
      expectStatus(await api('post', url, { auth, body }), 503);
    });
  });

  describe('export and import', () => {
    it('export one (json, markdown) and all (JSON Lines): 200 with either scheme, 400, 404, 401', async () => {
      const id = await sessionOf(alice, { title: 'Exported', provider: 'openai' });
      const url = `/api/v1/chat-sessions/${id}/export`;
      expectStatus(
        await api('post', `/api/v1/chat-sessions/${id}/messages`, {
          auth: alice.bearer,
          body: { content: 'Hi' },
        }),
        201,
      );
      for (const auth of [alice.bearer, alice.token]) {
        const json = await api('get', url, { auth });
        expectStatus(json, 200);
        expect(json.body.messages).toHaveLength(2);
        expectStatus(await api('get', `${url}?format=markdown`, { auth }), 200);
        const all = await api('get', '/api/v1/export', { auth, text: true });
        expect({ status: all.status, text: all.body as unknown }).toEqual({
          status: 200,
          text: expect.stringContaining(id),
        });
      }
      expectStatus(await api('get', `${url}?format=xml`, { auth: alice.bearer }), 400);
      expectStatus(
        await api('get', `/api/v1/chat-sessions/${UNKNOWN_ID}/export`, { auth: alice.bearer }),
        404,
      );
      expectStatus(await api('get', url), 401);
      expectStatus(await api('get', '/api/v1/export'), 401);
    });

    it('import: 200 with either scheme, 400, 415, 401', async () => {
      const bob = await newCaller();
      const id = await sessionOf(alice, { title: 'To import' });
      const exported = (await api('get', `/api/v1/chat-sessions/${id}/export`, { auth: alice.bearer })).text;
      const json = { 'Content-Type': 'application/json' };
      for (const auth of [bob.bearer, bob.token]) {
        const res = await api('post', '/api/v1/import', { auth, body: exported, headers: json });
        expectStatus(res, 200);
      }
      const broken = {
        title: 'Cycle',
        mapping: { a: { parent: 'b', message: null }, b: { parent: 'a', message: null } },
      };
      expectStatus(
        await api('post', '/api/v1/import', {
          auth: bob.bearer,
          body: JSON.stringify([broken]),
          headers: json,
        }),
        400,
      );
      expectStatus(
        await api('post', '/api/v1/import', { auth: bob.bearer, body: 'nope', headers: json }),
        400,
      );
      expectStatus(
        await api('post', '/api/v1/import', {
          auth: bob.bearer,
          body: '[]',
          headers: { 'Content-Type': 'text/plain' },
        }),
        415,
      );
      expectStatus(await api('post', '/api/v1/import', { body: '[]', headers: json }), 401);
    });
  });

  describe('SimpleJWT token routes', () => {
    it('token: 200/400/401/429; refresh: 200/400/401; verify: 200/400/401', async () => {
      const pair = await api('post', '/api/token/', {
        body: { username: alice.username, password: STRONG_PASSWORD },
      });
      expectStatus(pair, 200);
      expectStatus(await api('post', '/api/token/', { body: { username: alice.username } }), 400);
      const wrong = { username: alice.username, password: 'wrong-Password-00' };
      expectStatus(
        await api('post', '/api/token/', { body: wrong, headers: { 'X-Forwarded-For': '10.7.0.3' } }),
        401,
      );
      await throttled('/api/token/', uniqueUsername('oa_jwt_throttled'));
      expectStatus(
        await api('post', '/api/token/refresh/', { body: { refresh: pair.body.refresh as string } }),
        200,
      );
      expectStatus(await api('post', '/api/token/refresh/', { body: { refresh: 'nope' } }), 401);
      expectStatus(await api('post', '/api/token/refresh/', { body: {} }), 400);
      expectStatus(
        await api('post', '/api/token/verify/', { body: { token: pair.body.access as string } }),
        200,
      );
      expectStatus(await api('post', '/api/token/verify/', { body: { token: 'nope' } }), 401);
      expectStatus(await api('post', '/api/token/verify/', { body: {} }), 400);
    });
  });

  it('drove every documented operation, each with every security scheme it documents', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]): [string, Operation] => [`${method} ${path}`, op]),
    );
    const missed = operations.map(([key]) => key).filter((key) => !exercised.has(key));
    expect(missed).toEqual([]);
    const unaccepted = operations.flatMap(([key, op]) =>
      (op.security ?? [])
        .flatMap((requirement) => Object.keys(requirement))
        .filter((scheme) => !schemesAccepted.get(key)?.has(scheme as Scheme))
        .map((scheme) => `${key} (${scheme})`),
    );
    expect(unaccepted).toEqual([]);
  });
});
