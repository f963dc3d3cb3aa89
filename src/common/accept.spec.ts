import { describe, expect, it } from '@jest/globals';
import { acceptsEventStream } from './accept.js';

describe('acceptsEventStream', () => {
  it.each([
    'text/event-stream',
    'TEXT/EVENT-STREAM',
    'text/event-stream;q=1',
    'text/event-stream; charset=utf-8',
    'application/json, text/event-stream',
    'text/event-stream, application/json;q=0.5',
    'application/json;q=0.9, text/event-stream',
    'text/html, text/event-stream;q=0.2',
  ])('streams for %p', (accept) => {
    expect(acceptsEventStream(accept)).toBe(true);
  });

  it.each([
    undefined,
    '',
    '*/*',
    'application/json',
    'text/*',
    'text/event-stream;q=0',
    'text/event-stream;q=0.000',
    'text/event-stream;q=0.1, application/json',
    'text/event-stream;q=0.5, */*',
    'text/event-stream-v2',
    'application/text/event-stream',
    'text/event-stream;q=abc',
  ])('answers JSON for %p', (accept) => {
    expect(acceptsEventStream(accept)).toBe(false);
  });
});
