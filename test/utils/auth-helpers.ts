import { expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import type { Response } from 'supertest';
import TestAgent from 'supertest/lib/agent.js';

/** Satisfies the password policy (length, not numeric, not common, not like any generated username). */
export const STRONG_PASSWORD = 'violet-Sunrise-47';
export const OTHER_STRONG_PASSWORD = 'copper-Lantern-93';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let counter = 0;

/** A fresh, valid username (letters, digits, `_`), unique per call. */
export function uniqueUsername(prefix = 'user'): string {
  counter += 1;
  return `${prefix}_${randomBytes(3).toString('hex')}${counter}`;
}

/** A random JWT secret of the kind the harness passes, so that a suite can sign tokens of its own. */
export function randomSecret(): string {
  return randomBytes(32).toString('hex');
}

export interface SeenResponse {
  method: string;
  url: string;
  status: number;
  text: string;
}

/**
 * A supertest agent on the server that remembers every response it gets, so that a suite can check at
 * the end that no body ever leaked a password hash or a stack trace.
 */
export function watchedAgent(baseUrl: string): { http: TestAgent; seen: SeenResponse[] } {
  const seen: SeenResponse[] = [];
  const http = request.agent(baseUrl);
  http.use((req: request.Request) => {
    req.on('response', (res: Response) => {
      seen.push({ method: req.method, url: req.url, status: res.status, text: res.text ?? '' });
    });
  });
  return { http, seen };
}

const LEAKS: [string, RegExp][] = [
  ['a password hash column', /password_?hash/i],
  ['an argon2 hash', /\$argon2/i],
  ['a stack trace', /at [^\n"]*\.js:\d+/],
];

/** The responses whose body leaks a hash or a stack trace, described for a readable failure. */
export function leaksIn(seen: SeenResponse[]): string[] {
  return seen.flatMap((r) =>
    LEAKS.filter(([, pattern]) => pattern.test(r.text)).map(
      ([what]) => `${r.method} ${r.url} → ${r.status} contains ${what}: ${r.text.slice(0, 200)}`,
    ),
  );
}

/** Asserts an RFC 9457 problem-details answer of the native API with the given status. */
export function expectProblem(res: Response, status: number): void {
  expect({ status: res.status, contentType: res.headers['content-type'] }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
  });
  expect(res.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    request_id: expect.any(String),
  });
  expect(res.body.request_id).toBe(res.headers['x-request-id']);
}

/** Asserts a 400 problem whose `errors[]` names `field` (each entry with a message). */
export function expectFieldProblem(res: Response, field: string): void {
  expectProblem(res, 400);
  expect(Array.isArray(res.body.errors)).toBe(true);
  for (const error of res.body.errors) {
    expect(error).toEqual({ field: expect.any(String), message: expect.any(String) });
  }
  expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
}

/** Asserts a plain JSON (not problem+json) answer with exactly this status and body: the seeds' shapes. */
export function expectSeedBody(res: Response, status: number, body: unknown): void {
  expect({ status: res.status, body: res.body as unknown }).toEqual({ status, body });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
}

export interface NativeUser {
  id: string;
  username: string;
  email: string | null;
  role: string;
  created_at: string;
}

export interface NativeTokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  user: NativeUser;
}

export async function registerNative(
  http: TestAgent,
  username: string,
  password = STRONG_PASSWORD,
  email?: string,
): Promise<NativeUser> {
  const res = await http
    .post('/api/v1/auth/register')
    .send(email ? { username, password, email } : { username, password });
  expect(res.status).toBe(201);
  return res.body as NativeUser;
}

export async function loginNative(
  http: TestAgent,
  username: string,
  password = STRONG_PASSWORD,
): Promise<NativeTokenPair> {
  const res = await http.post('/api/v1/auth/login').send({ username, password });
  expect(res.status).toBe(200);
  return res.body as NativeTokenPair;
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The claims of a JWT, read without checking anything. */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

/** An unsigned `alg: none` token carrying the claims of a real one. */
export function algNoneToken(realToken: string): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${realToken.split('.')[1]}.`;
}

/** A token with the given claims signed by `secret` (HS256 unless told), claims taken verbatim. */
export function signClaims(
  claims: Record<string, unknown>,
  secret: string,
  algorithm: jwt.Algorithm = 'HS256',
): string {
  return jwt.sign(claims, secret, { algorithm, noTimestamp: true });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
