import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import {
  allSessions,
  ChatUser,
  createSession,
  expectProblem,
  messagesUrl,
  newUser,
  SESSIONS,
  sendMessage,
  UNKNOWN_ID,
} from './utils/chat-helpers.js';
import { startTestApp, type TestApp } from './utils/test-app.js';
import { exportAll, exportUrl, importOk, type SessionExport, withoutIds } from './utils/transfer-helpers.js';

describe('export, and the round trip through import', () => {
  let app: TestApp;
  let ada: ChatUser;
  let branched: string;
  let plain: string;

  beforeAll(async () => {
    app = await startTestApp();
    ada = await newUser(app.http, 'exp');
    // A session with branches: an edited first question, a regenerated answer, the first version shown.
    const session = await createSession(app.http, ada.auth, {
      title: 'Branches',
      system_prompt: 'Be brief.',
    });
    branched = session.id;
    const first = await sendMessage(app.http, ada.auth, branched, 'First question');
    await sendMessage(app.http, ada.auth, branched, 'Second question');
    const edit = await app.http
      .post(`${messagesUrl(branched)}/${first.user_message.id}/edit`)
      .set('Authorization', ada.auth)
      .send({ content: 'First question, edited' });
    expect(edit.status).toBe(201);
    const regenerate = await app.http
      .post(`${messagesUrl(branched)}/${edit.body.assistant_message.id as string}/regenerate`)
      .set('Authorization', ada.auth)
      .send({});
    expect(regenerate.status).toBe(201);
    const show = await app.http
      .patch(`${SESSIONS}/${branched}`)
      .set('Authorization', ada.auth)
      .send({ active_leaf_id: first.assistant_message.id });
    expect(show.status).toBe(200);
    const other = await createSession(app.http, ada.auth, { provider: 'echo', model: 'echo-1' });
    plain = other.id;
    await sendMessage(app.http, ada.auth, plain, 'Just one question');
  });
  afterAll(async () => {
    await app?.close();
  });

  const download = (user: ChatUser, id: string, format?: string): Promise<Response> =>
    app.http
      .get(exportUrl(id))
      .query(format ? { format } : {})
      .set('Authorization', user.auth);

  it('one session as JSON: the whole tree as chatbot-export/1, as an attachment', async () => {
    const res = await download(ada, branched);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="chat-${branched}.json"`);
    const exported = res.body as SessionExport;
    expect(exported).toMatchObject({
      format: 'chatbot-export/1',
      id: branched,
      title: 'Branches',
      system_prompt: 'Be brief.',
      provider: null,
      source_id: null,
    });
    // Two turns, an edited question with its answer, and a regenerated answer: 7 messages.
    expect(exported.messages).toHaveLength(7);
    expect(exported.messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
      'assistant',
      'assistant',
    ]);
    const ids = new Set<string | null>([null]);
    for (const m of exported.messages) {
      expect(ids.has(m.parent_id)).toBe(true); // parents before children
      ids.add(m.id);
      expect(m).toMatchObject({
        status: 'complete',
        provider: m.role === 'user' ? null : 'echo',
        error: null,
      });
    }
    expect(exported.messages[1].usage).toEqual({
      prompt_tokens: expect.any(Number),
      completion_tokens: expect.any(Number),
    });
    // The first version's branch, shown again: its newest path, through the second turn.
    expect(exported.active_leaf_id).toBe(exported.messages[3].id);
    const session = await app.http.get(`${SESSIONS}/${branched}`).set('Authorization', ada.auth);
    expect([exported.created_at, exported.updated_at]).toEqual([
      session.body.created_at,
      session.body.updated_at,
    ]);
  });

  it('one session as Markdown: the active path', async () => {
    const res = await download(ada, branched, 'markdown');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/markdown/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="chat-${branched}.md"`);
    expect(res.text).toMatch(/^# Branches\n\n> \*\*System prompt:\*\* Be brief\.\n\n## User\n/);
    expect(res.text).toContain('\nFirst question\n');
    expect(res.text).toContain('## Assistant (echo)');
    expect(res.text).toContain('\nSecond question\n');
    expect(res.text).not.toContain('edited'); // the other branch
  });

  it('another user’s session or an unknown id: 404; an unknown format: 400', async () => {
    const bob = await newUser(app.http, 'exp');
    expectProblem(await download(bob, branched), 404);
    expectProblem(await download(ada, UNKNOWN_ID), 404);
    expectProblem(await download(ada, 'not-a-uuid'), 404);
    const bad = await download(ada, branched, 'xml');
    expectProblem(bad, 400);
    expect(bad.body.errors).toEqual([{ field: 'format', message: expect.stringMatching(/json, markdown/) }]);
    expectProblem(await app.http.get(exportUrl(branched)), 401);
  });

  it('round trip: export all, import into another user, export again: the same content and tree', async () => {
    const original = await exportAll(app.http, ada.auth);
    expect(original.map((s) => s.id).sort()).toEqual([branched, plain].sort());
    const bob = await newUser(app.http, 'exp');
    const jsonl = original.map((s) => JSON.stringify(s)).join('\n') + '\n';
    const report = await importOk(app.http, bob.auth, jsonl, 'application/x-ndjson');
    expect(report).toEqual({
      imported: 2,
      failed: 0,
      skipped: { duplicates: 0, messages: 0, parts: 0 },
      errors: [],
    });
    const copied = await exportAll(app.http, bob.auth);
    const byTitle = (sessions: SessionExport[]) =>
      Object.fromEntries(sessions.map((s) => [s.title ?? '', withoutIds(s)]));
    expect(byTitle(copied)).toEqual(byTitle(original));
    expect(copied.map((s) => s.source_id).sort()).toEqual([`chatbot:${branched}`, `chatbot:${plain}`].sort());
    // Bob's list shows them as Ada's did, the imported times kept.
    const listed = (sessions: { title: string | null; message_count: number; updated_at: string }[]) =>
      sessions.map((s) => [s.title, s.message_count, s.updated_at]);
    expect(listed(await allSessions(app.http, bob.auth))).toEqual(
      listed(await allSessions(app.http, ada.auth)),
    );

    // Again, in either account, and Bob's copies back into Ada's: nothing is duplicated.
    const again = { imported: 0, failed: 0, skipped: { duplicates: 2, messages: 0, parts: 0 }, errors: [] };
    expect(await importOk(app.http, bob.auth, jsonl, 'application/x-ndjson')).toEqual(again);
    expect(await importOk(app.http, ada.auth, jsonl, 'application/x-ndjson')).toEqual(again);
    const back = copied.map((s) => JSON.stringify(s)).join('\n');
    expect(await importOk(app.http, ada.auth, back, 'application/x-ndjson')).toEqual(again);
    // One exported session, as downloaded, imports too (pretty-printed or not).
    const carl = await newUser(app.http, 'exp');
    const single = (await download(ada, branched)).body as SessionExport;
    expect(await importOk(app.http, carl.auth, JSON.stringify(single, null, 2))).toMatchObject({
      imported: 1,
    });
    expect(withoutIds((await exportAll(app.http, carl.auth))[0])).toEqual(withoutIds(single));
  });

  it('the JSON Lines export of many sessions: each once, messages paged across sessions', async () => {
    const dan = await newUser(app.http, 'exp');
    // 120 sessions (three batches), made by importing them; one with 1,500 messages (more than a page).
    const long = {
      format: 'chatbot-export/1',
      id: 'long-one',
      title: 'Long',
      system_prompt: null,
      provider: null,
      model: null,
      active_leaf_id: null,
      created_at: '2024-01-01T00:00:00.000Z',
      updated_at: '2024-01-02T00:00:00.000Z',
      messages: Array.from({ length: 1500 }, (_, i) => ({
        id: `m${i}`,
        parent_id: i === 0 ? null : `m${i - 1}`,
        role: i % 2 === 0 ? 'user' : 'assistant',
        content: `message ${i}`,
        status: 'complete',
        provider: null,
        model: null,
        usage: null,
        error: null,
        created_at: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
      })),
    };
    const small = Array.from({ length: 119 }, (_, i) => ({
      ...long,
      id: `small-${i}`,
      title: `Small ${i}`,
      updated_at: new Date(Date.UTC(2024, 1, 1) + i * 60_000).toISOString(),
      messages: long.messages.slice(0, i % 3),
    }));
    const lines = [long, ...small].map((s) => JSON.stringify(s)).join('\n');
    expect(await importOk(app.http, dan.auth, lines, 'application/x-ndjson')).toMatchObject({
      imported: 120,
      failed: 0,
    });
    const exported = await exportAll(app.http, dan.auth);
    expect(exported).toHaveLength(120);
    expect(new Set(exported.map((s) => s.id)).size).toBe(120);
    const listed = await allSessions(app.http, dan.auth);
    expect(exported.map((s) => s.id).sort()).toEqual(listed.map((s) => s.id).sort());
    const longOne = exported.find((s) => s.title === 'Long') as SessionExport;
    expect(longOne.messages.map((m) => m.content)).toEqual(long.messages.map((m) => m.content));
    expect(longOne.active_leaf_id).toBe(longOne.messages[1499].id);
    for (const session of exported.filter((s) => s.title?.startsWith('Small')))
      expect(session.messages).toHaveLength(Number(session.title?.slice(6)) % 3);
    // The long imported session pages as any other (no branches: read by depth).
    const page = await app.http
      .get(messagesUrl(longOne.id))
      .query({ limit: 100 })
      .set('Authorization', dan.auth);
    expect(page.body.data).toHaveLength(100);
    expect(page.body.data[99].content).toBe('message 99');
    // Nobody else's sessions; an account without any exports nothing.
    expect(await exportAll(app.http, (await newUser(app.http, 'exp')).auth)).toEqual([]);
  });
});
