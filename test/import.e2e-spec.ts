import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response } from 'supertest';
import {
  allMessages,
  allSessions,
  ChatUser,
  echoSaw,
  expectProblem as expectProblemBody,
  messagesUrl,
  newUser,
  SESSIONS,
  type MessageBody,
  type SessionBody,
} from './utils/chat-helpers.js';
import { CLI_TEST_TIMEOUT, CliTestApp, expectOneLineFailure, expectSuccess } from './utils/cli-helpers.js';
import {
  CHATGPT_FIXTURE,
  exportAll,
  importOk,
  IMPORT,
  postImport,
  postLargeImport,
  type SessionExport,
} from './utils/transfer-helpers.js';

/** A problem-details answer of `status` whose `detail` matches. */
function expectProblem(res: Response, status: number, detail?: RegExp): void {
  expectProblemBody(res, status);
  if (detail) expect(res.body.detail).toMatch(detail);
}

const fixture = readFileSync(CHATGPT_FIXTURE, 'utf8');
const at = (seconds: number) => new Date(seconds * 1000).toISOString();

/** A ChatGPT conversation of `mapping` nodes given as [id, parent, role, text] (null role: no message). */
function conversation(
  title: string,
  nodes: [string, string | null, string | null, string][],
  id = title,
): object {
  const mapping = Object.fromEntries(
    nodes.map(([key, parent, role, text], i) => [
      key,
      {
        id: key,
        parent,
        children: nodes.filter((n) => n[1] === key).map((n) => n[0]),
        message: role && {
          id: key,
          author: { role },
          create_time: 1700000000 + i,
          content: { content_type: 'text', parts: [text] },
          metadata: {},
          recipient: 'all',
        },
      },
    ]),
  );
  return {
    id,
    title,
    create_time: 1700000000,
    update_time: 1700000100,
    mapping,
    current_node: nodes.at(-1)?.[0],
  };
}

describe('POST /api/v1/import', () => {
  let app: CliTestApp;

  beforeAll(async () => {
    app = await CliTestApp.start();
  });
  afterAll(async () => {
    await app?.close();
  });

  const sessionTitled = async (user: ChatUser, title: string): Promise<SessionBody> => {
    const session = (await allSessions(app.http, user.auth)).find((s) => s.title === title);
    expect(session).toBeDefined();
    return session as SessionBody;
  };

  describe("ChatGPT's conversations.json", () => {
    let ada: ChatUser;
    let trip: SessionBody;

    beforeAll(async () => {
      ada = await newUser(app.http, 'imp');
    });

    it('imports each conversation with its tree, times and current branch; counts what it leaves out', async () => {
      const report = await importOk(app.http, ada.auth, fixture);
      // Left out: two nodes without a message, a system message, a call to the browser, its tool answer,
      // a hidden context message; and the image of a question whose text is kept.
      expect(report).toEqual({
        imported: 2,
        failed: 0,
        skipped: { duplicates: 0, messages: 6, parts: 1 },
        errors: [],
      });

      trip = await sessionTitled(ada, 'Trip planning');
      expect(trip).toMatchObject({
        message_count: 7,
        created_at: '2024-06-01T12:00:00.123Z',
        updated_at: at(1717243800.5),
      });
      expect(trip.provider).toBeNull();
      // The current branch: the edited question with the picture, answered after the browser call.
      const path = await allMessages(app.http, ada.auth, trip.id);
      expect(path.map((m) => [m.role, m.content, m.created_at])).toEqual([
        ['user', 'Plan a weekend in Lisbon.', at(1717243201.5)],
        ['assistant', 'Day one: Alfama. Day two: Belém.', at(1717243205.25)],
        ['user', 'What is this building?', at(1717243400)],
        ['assistant', 'It is the Belém Tower.', at(1717243410)],
      ]);
      expect(path.map((m) => m.status)).toEqual(['complete', 'complete', 'complete', 'complete']);
      expect(path[0].parent_id).toBeNull();
      expect(path.slice(1).map((m) => m.parent_id)).toEqual(path.slice(0, -1).map((m) => m.id));
      expect(path[1].model).toBe('gpt-4o');
      expect(trip.active_leaf_id).toBe(path[3].id);
      // Branches: two versions of the second question, two answers to the picture (oldest first).
      expect([path[2].sibling_index, path[2].sibling_count]).toEqual([1, 2]);
      expect([path[3].sibling_index, path[3].sibling_count]).toEqual([0, 2]);
      const other = await allMessages(app.http, ada.auth, trip.id).then(() =>
        app.http.get(`${messagesUrl(trip.id)}?leaf=${path[3].sibling_ids[1]}`).set('Authorization', ada.auth),
      );
      expect((other.body.data as MessageBody[]).map((m) => m.content).at(-1)).toBe('A tower on the Tagus.');
      const first = await app.http
        .get(`${messagesUrl(trip.id)}?leaf=${path[2].sibling_ids[0]}`)
        .set('Authorization', ada.auth);
      expect((first.body.data as MessageBody[]).map((m) => m.content)).toEqual([
        'Plan a weekend in Lisbon.',
        'Day one: Alfama. Day two: Belém.',
        'What should I eat?',
      ]);

      // Ordinary messages: searchable like any other.
      const found = await app.http
        .get('/api/v1/search')
        .query({ q: 'Belém Tower' })
        .set('Authorization', ada.auth);
      expect(found.status).toBe(200);
      expect(found.body.data).toEqual([
        expect.objectContaining({ session_id: trip.id, message_id: path[3].id }),
      ]);

      const hidden = await sessionTitled(ada, 'Hidden context');
      expect(hidden.message_count).toBe(2);
      expect((await allMessages(app.http, ada.auth, hidden.id)).map((m) => m.content)).toEqual([
        'Hi',
        'Hello! How can I help?',
      ]);
    });

    it('imports the same file again without duplicating anything', async () => {
      const before = await allSessions(app.http, ada.auth);
      const report = await importOk(app.http, ada.auth, fixture);
      expect(report).toEqual({
        imported: 0,
        failed: 0,
        skipped: { duplicates: 2, messages: 0, parts: 0 },
        errors: [],
      });
      expect(await allSessions(app.http, ada.auth)).toEqual(before);
    });

    it('takes the file as a multipart upload too', async () => {
      const bob = await newUser(app.http, 'imp');
      const res = await app.http.post(IMPORT).set('Authorization', bob.auth).attach('file', CHATGPT_FIXTURE);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ imported: 2, skipped: { messages: 6, parts: 1 } });
      const none = await app.http.post(IMPORT).set('Authorization', bob.auth).field('note', 'no file here');
      expectProblem(none, 400, /no file/);
    });

    it('continues an imported conversation with its path as the context', async () => {
      const res = await app.http
        .post(messagesUrl(trip.id))
        .set('Authorization', ada.auth)
        .send({ content: 'And on Sunday?' });
      expect(res.status).toBe(201);
      expect(res.body.user_message.parent_id).toBe(trip.active_leaf_id);
      expect(res.body.assistant_message.content).toMatch(echoSaw(4));
      const path = await allMessages(app.http, ada.auth, trip.id);
      expect(path.map((m) => m.content).slice(-2, -1)).toEqual(['And on Sunday?']);
      expect(path).toHaveLength(6);
      const session = await app.http.get(`${SESSIONS}/${trip.id}`).set('Authorization', ada.auth);
      expect(session.body.message_count).toBe(9);
    });

    it('branches an imported conversation: edit, regenerate, switch', async () => {
      const path = await allMessages(app.http, ada.auth, trip.id);
      const edit = await app.http
        .post(`${messagesUrl(trip.id)}/${path[0].id}/edit`)
        .set('Authorization', ada.auth)
        .send({ content: 'Plan a week in Porto.' });
      expect(edit.status).toBe(201);
      expect(edit.body.user_message).toMatchObject({ parent_id: null, sibling_count: 2, sibling_index: 1 });
      expect(edit.body.assistant_message.content).toMatch(echoSaw(0));
      const regenerate = await app.http
        .post(`${messagesUrl(trip.id)}/${path[1].id}/regenerate`)
        .set('Authorization', ada.auth)
        .send({});
      expect(regenerate.status).toBe(201);
      expect(regenerate.body.assistant_message).toMatchObject({ parent_id: path[0].id, sibling_count: 2 });
      const back = await app.http
        .patch(`${SESSIONS}/${trip.id}`)
        .set('Authorization', ada.auth)
        .send({ active_leaf_id: path[3].id });
      expect(back.status).toBe(200);
      // The newest path through it: the one continued above.
      expect((await allMessages(app.http, ada.auth, trip.id)).map((m) => m.id)).toEqual(
        path.map((m) => m.id),
      );
    });
  });

  describe('bad files', () => {
    let eve: ChatUser;
    beforeAll(async () => {
      eve = await newUser(app.http, 'imp');
    });

    const cycle = conversation('Cycle', [
      ['a', 'c', 'user', 'one'],
      ['b', 'a', 'assistant', 'two'],
      ['c', 'b', 'user', 'three'],
    ]);
    const dangling = conversation('Dangling', [
      ['a', null, 'user', 'one'],
      ['b', 'nowhere', 'assistant', 'two'],
    ]);
    const good = conversation('Good', [
      ['root', null, null, ''],
      ['q', 'root', 'user', 'Is this fine?'],
      ['a', 'q', 'assistant', 'It is.'],
    ]);

    it.each([
      ['not JSON', 'hello there', /not JSON of a known shape/],
      ['truncated JSON', '[{"title": "x", "mapping": {', /not valid JSON/],
      ['a top-level string', '"conversations"', /not JSON of a known shape/],
      ['empty', '   ', /empty/],
    ])('%s: 400, nothing stored', async (_name, body, detail) => {
      expectProblem(await postImport(app.http, eve.auth, body), 400, detail);
      expect(await allSessions(app.http, eve.auth)).toEqual([]);
    });

    it('good conversations followed by truncated JSON: 400, none of them stored (body or multipart)', async () => {
      const truncated = `[${JSON.stringify(good)}, ${JSON.stringify(conversation('Also good', [['q', null, 'user', 'Hi']]))}, {"title": "cut`;
      expectProblem(await postImport(app.http, eve.auth, truncated), 400, /not valid JSON/);
      expect(await allSessions(app.http, eve.auth)).toEqual([]);
      const lines = `${JSON.stringify(good)}\n{"format": "chatbot-export/1", "messages": [}\n`;
      expectProblem(
        await postImport(app.http, eve.auth, lines, 'application/x-ndjson'),
        400,
        /not valid JSON/,
      );
      expect(await allSessions(app.http, eve.auth)).toEqual([]);
      const form = await app.http
        .post(IMPORT)
        .set('Authorization', eve.auth)
        .attach('file', Buffer.from(truncated), 'conversations.json');
      expectProblem(form, 400, /not valid JSON/);
      expect(await allSessions(app.http, eve.auth)).toEqual([]);
    });

    it('a file none of whose conversations can be imported: 400 naming each, nothing stored', async () => {
      const res = await postImport(app.http, eve.auth, JSON.stringify([cycle, dangling, 42, { title: 'x' }]));
      expectProblem(res, 400, /No conversation of the file could be imported/);
      // Each as in a report ({index, title, reason}) and as in any other 400 ({field, message}).
      const failed = (index: number, title: string | null, reason: unknown) => ({
        field: `[${index}]`,
        message: reason,
        index,
        title,
        reason,
      });
      expect(res.body.errors).toEqual([
        failed(0, 'Cycle', expect.stringMatching(/cycle/)),
        failed(1, 'Dangling', 'the parent nowhere of node b is not a node'),
        failed(2, null, 'a conversation must be a JSON object'),
        failed(3, 'x', expect.stringMatching(/neither a ChatGPT conversation/)),
      ]);
      expect(await allSessions(app.http, eve.auth)).toEqual([]);
    });

    it('a bad conversation among good ones: the others imported, it is listed and stores nothing', async () => {
      const report = await importOk(app.http, eve.auth, JSON.stringify([good, cycle]));
      expect(report).toMatchObject({ imported: 1, failed: 1, skipped: { duplicates: 0, messages: 1 } });
      expect(report.errors).toEqual([{ index: 1, title: 'Cycle', reason: expect.stringMatching(/cycle/) }]);
      expect((await allSessions(app.http, eve.auth)).map((s) => [s.title, s.message_count])).toEqual([
        ['Good', 2],
      ]);
    });

    it('our own format with a wrong field: the field is named', async () => {
      const [exported] = await exportAll(app.http, eve.auth);
      const broken: SessionExport = {
        ...exported,
        id: '0b0b0b0b-0000-4000-8000-000000000000',
        source_id: null,
      };
      broken.messages = broken.messages.map((m, i) => (i === 1 ? { ...m, role: 'system' } : m));
      const res = await postImport(app.http, eve.auth, JSON.stringify(broken));
      expectProblem(res, 400, /No conversation/);
      expect(res.body.errors).toEqual([
        expect.objectContaining({
          field: '[0]',
          message: 'messages[1].role must be "user" or "assistant"',
          index: 0,
          title: 'Good',
          reason: 'messages[1].role must be "user" or "assistant"',
        }),
      ]);
      const wrongFormat = await postImport(
        app.http,
        eve.auth,
        JSON.stringify({ ...broken, format: 'chatbot-export/9' }),
      );
      expect(wrongFormat.body.errors).toEqual([
        expect.objectContaining({ field: '[0]', title: 'Good', reason: 'format must be "chatbot-export/1"' }),
      ]);
      const badModel = { ...exported, id: '0c0c0c0c-0000-4000-8000-000000000000', source_id: null };
      const refused = await postImport(
        app.http,
        eve.auth,
        JSON.stringify({ ...badModel, provider: 'gemini', model: 'x/../y' }),
      );
      expect(refused.body.errors).toEqual([
        expect.objectContaining({
          field: '[0]',
          index: 0,
          reason: expect.stringMatching(/Gemini model name/),
        }),
      ]);
    });

    it('another content type is a 415; a file over 50 MiB a 413, as the body or a multipart file', async () => {
      expectProblem(await postImport(app.http, eve.auth, '[]', 'text/plain'), 415, /application\/json/);
      // Said up front by Content-Length, or found while reading a chunked body.
      for (const [declared, form] of [
        [true, false],
        [false, false],
        [true, true],
        [false, true],
      ]) {
        const answer = await postLargeImport(app.baseUrl, eve.auth, 51, declared, form);
        expect({ declared, form, ...answer }).toEqual({
          declared,
          form,
          status: 413,
          body: expect.objectContaining({ detail: 'The import file is larger than 50 MiB.' }),
        });
      }
      expect(await allSessions(app.http, eve.auth)).toHaveLength(1);
    });

    it('without credentials: 401', async () => {
      expectProblem(await app.http.post(IMPORT).set('Content-Type', 'application/json').send('[]'), 401);
    });
  });

  describe('npm run cli -- import --user NAME FILE', () => {
    it(
      'imports a file for a user, a second time adds nothing; a bad file fails in one line, storing nothing',
      async () => {
        const cleo = await newUser(app.http, 'imp');
        const bad = join(tmpdir(), `chatbot-bad-import-${process.pid}.json`);
        // A good conversation, then the file stops being JSON: it is not imported either.
        const before = conversation('Before the break', [['q', null, 'user', 'Hi']]);
        writeFileSync(bad, `[${JSON.stringify(before)}, {"not": "closed"`);
        await app.withCli(async ({ run }) => {
          const first = await run(['import', '--user', cleo.username, CHATGPT_FIXTURE]);
          expectSuccess(first);
          expect(first.stdout).toMatch(
            /^Imported 2 conversation\(s\); 0 already there; 0 failed; left out 6 message\(s\) and 1 non-text part\(s\)\.$/m,
          );
          const again = await run(['import', '--user', cleo.username, '--json', CHATGPT_FIXTURE]);
          expectSuccess(again);
          expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, skipped: { duplicates: 2 } });
          expectOneLineFailure(await run(['import', '--user', cleo.username, bad]), /not valid JSON/);
          expectOneLineFailure(
            await run(['import', '--user', 'nobody_here', CHATGPT_FIXTURE]),
            /No user named/,
          );
          expectOneLineFailure(
            await run(['import', '--user', cleo.username, '/nonexistent.json']),
            /Cannot read/,
          );
        });
        const sessions = await allSessions(app.http, cleo.auth);
        expect(sessions.map((s) => s.title).sort()).toEqual(['Hidden context', 'Trip planning']);
      },
      CLI_TEST_TIMEOUT,
    );
  });
});
