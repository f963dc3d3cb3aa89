import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, TestApp } from './utils/test-app.js';

describe('foundation: health, errors, docs, headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'info' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET /health answers 200 when the database is up', async () => {
    const res = await t.http.get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.database.status).toBe('up');
  });

  it('answers an unknown route with a JSON problem 404 carrying the request id header', async () => {
    const res = await t.http.get('/no/such/route').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });
    expect(res.body.request_id).toBe(res.headers['x-request-id']);
  });

  it('logs each request once (id, method, URL, status, time) without its credentials', async () => {
    await t.http
      .get('/api/v1/chat-sessions?limit=5')
      .set('Authorization', 'Bearer not-a-real-token-0123456789')
      .set('X-Request-Id', 'log-check-1')
      .expect(401);
    await t.http.get('/health').set('X-Request-Id', 'log-check-2').expect(200);
    const logged = (id: string) =>
      t
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{') && line.includes('"request completed"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.request_id === id);
    for (let waited = 0; logged('log-check-2').length === 0 && waited < 5000; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    const [refused, ...again] = logged('log-check-1');
    expect(again).toEqual([]);
    expect(refused).toMatchObject({
      level: 30,
      method: 'GET',
      url: '/api/v1/chat-sessions?limit=5',
      status: 401,
      remote_address: '127.0.0.1',
      response_ms: expect.any(Number),
    });
    expect(logged('log-check-2')).toEqual([expect.objectContaining({ status: 200, url: '/health' })]);
    expect(t.output()).not.toContain('not-a-real-token');
  });

  it('keeps a sane client X-Request-Id and replaces an unsafe one', async () => {
    const kept = await t.http.get('/no/such').set('X-Request-Id', 'abc-123').expect(404);
    expect(kept.headers['x-request-id']).toBe('abc-123');
    expect(kept.body.request_id).toBe('abc-123');
    const replaced = await t.http.get('/no/such').set('X-Request-Id', 'bad id <script>').expect(404);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects malformed JSON with a 400 problem, not a stack trace', async () => {
    const res = await t.http
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"username": ')
      .expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/not valid JSON/);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js:\d+/);
  });

  it('rejects a body over 1 MiB with 413', async () => {
    const big = JSON.stringify({ username: 'x'.repeat(1024 * 1024 + 10), password: 'y' });
    const res = await t.http
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(big)
      .expect(413);
    expect(res.body.status).toBe(413);
  });

  it('rejects an unsupported content type with 415', async () => {
    const res = await t.http
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/xml')
      .send('<a/>')
      .expect(415);
    expect(res.body.status).toBe(415);
  });

  it('sends security headers, on errors too, and the same on every request', async () => {
    const res = await t.http.get('/health');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).not.toContain('upgrade-insecure-requests');
    const missing = await t.http.get('/no-such-route').expect(404);
    expect(missing.headers['content-security-policy']).toBe(csp);
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
    const again = await t.http.get('/health');
    expect(again.headers['content-security-policy']).toBe(csp);
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const json = await t.http.get('/docs-json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(json.body.paths['/health']).toBeDefined();
    expect(json.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ui = await t.http.get('/docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
  });
});
