import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, TestApp } from './utils/test-app.js';

describe('CORS from CORS_ALLOWED_ORIGINS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      CORS_ALLOWED_ORIGINS: 'https://app.example, https://admin.example',
      CORS_ALLOW_CREDENTIALS: 'true',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers a preflight from an allowed origin, with credentials', async () => {
    const res = await t.http
      .options('/api/v1/chat-sessions')
      .set('Origin', 'https://admin.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://admin.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
  });

  it('gives no CORS headers to another origin', async () => {
    const res = await t.http.get('/health').set('Origin', 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
