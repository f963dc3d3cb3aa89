import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createUndiciFetch } from './undici-fetch.js';

/** A loopback server that answers by path and records what it received. */
describe('createUndiciFetch', () => {
  let server: Server;
  let base: string;
  const received: { method?: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const fetchOverUndici = createUndiciFetch();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ method: req.method, headers: req.headers, body });
        if (req.url === '/empty') {
          res.writeHead(204).end();
        } else if (req.url === '/problem') {
          res.writeHead(429, { 'content-type': 'application/problem+json; charset=utf-8' });
          res.end('{"error":{"message":"slow down"}}');
        } else if (req.url === '/cut') {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
          res.write('{"partial":');
          setTimeout(() => res.destroy(), 20);
        } else if (req.url === '/slow-json') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"slow":');
          setTimeout(() => res.end('true}'), 300);
        } else if (req.url === '/bad-json') {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end('<html>Bad gateway</html>');
        } else if (req.url === '/text') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('plain words');
        } else if (req.url === '/stream') {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'set-cookie': ['a=1', 'b=2'] });
          res.write('data: one\n\n');
          setTimeout(() => res.end('data: two\n\n'), 20);
        } else {
          res.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'req-1' });
          res.end(JSON.stringify({ echoed: body }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends method, headers (a Headers object too) and a string body; answers status, headers and body', async () => {
    const res = await fetchOverUndici(`${base}/json`, {
      method: 'POST',
      headers: new Headers({ 'content-type': 'application/json', authorization: 'Bearer k' }),
      body: '{"hello":"world"}',
    });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('x-request-id')).toBe('req-1');
    expect(await res.json()).toEqual({ echoed: '{"hello":"world"}' });
    const seen = received.at(-1)!;
    expect(seen.method).toBe('POST');
    expect(seen.headers.authorization).toBe('Bearer k');
    expect(seen.headers['content-type']).toBe('application/json');
  });

  it('streams a body chunk by chunk and joins repeated headers', async () => {
    const res = await fetchOverUndici(`${base}/stream`, { method: 'GET' });
    expect(res.headers.get('set-cookie')).toBe('a=1, b=2');
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value).toString()).toBe('data: one\n\n');
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      rest += Buffer.from(chunk.value).toString();
    expect(rest).toBe('data: two\n\n');
  });

  it('gives a null body for 204, and cancelling a body early does not throw', async () => {
    const empty = await fetchOverUndici(`${base}/empty`, { method: 'DELETE' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const streamed = await fetchOverUndici(`${base}/stream`, { method: 'GET' });
    await expect(streamed.body!.cancel()).resolves.toBeUndefined();
  });

  it('rejects with an AbortError when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      fetchOverUndici(`${base}/json`, { method: 'GET', signal: controller.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('reads a JSON body (any +json type, error statuses too) before answering: text, json and bytes from it', async () => {
    const res = await fetchOverUndici(`${base}/problem`, { method: 'GET' });
    expect(res.status).toBe(429);
    expect(res.ok).toBe(false);
    expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await res.text()).toBe('{"error":{"message":"slow down"}}');
    expect(await res.json()).toEqual({ error: { message: 'slow down' } });
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('{"error":{"message":"slow down"}}');
  });

  it('rejects when a JSON body is cut short, or the signal aborts while it is being read', async () => {
    await expect(fetchOverUndici(`${base}/cut`, { method: 'GET' })).rejects.toThrow();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(
      fetchOverUndici(`${base}/slow-json`, { method: 'GET', signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('answers json() of a body that is not JSON with a rejection, as fetch does', async () => {
    const res = await fetchOverUndici(`${base}/bad-json`, { method: 'GET' });
    const parsed = res.json();
    expect(parsed).toBeInstanceOf(Promise);
    await expect(parsed).rejects.toThrow(SyntaxError);
    expect(await res.text()).toBe('<html>Bad gateway</html>');
  });

  it('leaves other bodies as a stream', async () => {
    const res = await fetchOverUndici(`${base}/text`, { method: 'GET' });
    expect(res.body).not.toBeNull();
    expect(await res.text()).toBe('plain words');
  });

  it('hands bodies that are not strings or bytes to the global fetch', async () => {
    const form = new FormData();
    form.append('field', 'value');
    const res = await fetchOverUndici(`${base}/json`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    expect(received.at(-1)!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(received.at(-1)!.body).toContain('value');
  });
});
