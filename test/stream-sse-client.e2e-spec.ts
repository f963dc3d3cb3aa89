import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { parseSse, requestSse, SseComment, SseEvent, SseParser } from './utils/sse-client.js';

/** The SSE test client itself: if it mis-parsed, the streaming suites would prove nothing. */
describe('the SSE test client', () => {
  it('parses ids, event names, multi-line data, comments, CRLF/CR/LF line ends and no-space values', () => {
    const events = parseSse(
      ': hello\n\n' +
        'id: 1\nevent: a\ndata: {"x":1}\n\n' +
        'id:2\r\nevent:b\r\ndata: line one\r\ndata:line two\r\n\r\n' +
        'data: no name\r\r' +
        'id: 4\nevent: trailing\ndata: never finished',
    );
    expect(events.map(({ id, event, data }) => ({ id, event, data }))).toEqual([
      { id: '1', event: 'a', data: '{"x":1}' },
      { id: '2', event: 'b', data: 'line one\nline two' },
      { id: undefined, event: 'message', data: 'no name' },
    ]);
  });

  it('reassembles frames split anywhere, including between CR and LF', () => {
    const events: SseEvent[] = [];
    const comments: SseComment[] = [];
    const parser = new SseParser(
      (e) => events.push(e),
      (c) => comments.push(c),
    );
    const wire = ': heartbeat\r\n\r\nid: 7\r\nevent: delta\r\ndata: {"text":"hé"}\r\n\r\n';
    for (const piece of wire.split('')) parser.push(piece);
    parser.push('', true);
    expect(comments.map((c) => c.text)).toEqual(['heartbeat']);
    expect(events.map(({ id, event, data }) => ({ id, event, data }))).toEqual([
      { id: '7', event: 'delta', data: '{"text":"hé"}' },
    ]);
  });

  describe('over HTTP', () => {
    let server: Server;
    let url = '';
    beforeAll(async () => {
      server = createServer((req, res) => {
        void (async () => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          for (let i = 1; i <= 4; i += 1) {
            res.write(`: beat\n\nid: ${i}\nevent: tick\n`);
            await delay(100);
            if (res.destroyed) return;
            res.write(`data: ${i}\n\n`);
          }
          res.end();
        })();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('reads events as they arrive, with their arrival times', async () => {
      const res = await requestSse(url, { method: 'GET' });
      expect({ status: res.status, ended: res.ended }).toEqual({ status: 200, ended: 'end' });
      expect(res.events.map((e) => [e.id, e.event, e.data])).toEqual([
        ['1', 'tick', '1'],
        ['2', 'tick', '2'],
        ['3', 'tick', '3'],
        ['4', 'tick', '4'],
      ]);
      expect(res.comments).toHaveLength(4);
      expect((res.events[3]?.receivedAt ?? 0) - (res.events[0]?.receivedAt ?? 0)).toBeGreaterThanOrEqual(250);
    });

    it('aborts right after the event that `abortWhen` picks', async () => {
      const res = await requestSse(url, { method: 'GET', abortWhen: (e) => e.id === '2' });
      expect(res.ended).toBe('aborted');
      expect(res.events.map((e) => e.id)).toEqual(['1', '2']);
    });
  });
});
