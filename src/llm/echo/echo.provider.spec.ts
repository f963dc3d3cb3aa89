import { describe, expect, it } from '@jest/globals';
import { collectStream } from '../../../test/fakes/helpers.js';
import type { LlmRequest } from '../llm-provider.js';
import { EchoProvider } from './echo.provider.js';

const conversation: LlmRequest = {
  system: 'You are a pirate who answers every question in rhyme, with at least three arrrs in each line.',
  messages: [
    { role: 'user', content: 'My name is Ada.' },
    { role: 'assistant', content: 'Hi Ada.' },
    { role: 'user', content: 'What is my name?' },
  ],
};

describe('EchoProvider', () => {
  const echo = new EchoProvider();
  const signal = () => new AbortController().signal;

  it('answers offline, describing the conversation and the system prompt', async () => {
    const result = await echo.complete(conversation, signal());

    expect(result.text).toBe(
      'Echo provider (offline, no model called): you said "What is my name?". ' +
        'I can see 2 earlier messages in this conversation. ' +
        'System prompt: "You are a pirate who answers every question in rhyme, with a…".',
    );
    expect(result).toMatchObject({ model: 'echo', finishReason: 'stop' });
    expect(result.usage).toEqual({
      promptTokens: expect.any(Number),
      completionTokens: Math.ceil(result.text.length / 4),
    });
  });

  it('is deterministic', async () => {
    const request: LlmRequest = { messages: [{ role: 'user', content: 'Hi' }] };

    const [first, second] = [await echo.complete(request, signal()), await echo.complete(request, signal())];

    expect(first).toEqual(second);
    expect(first.text).toBe(
      'Echo provider (offline, no model called): you said "Hi". I can see 0 earlier messages in this conversation.',
    );
  });

  it('streams the same answer in word-sized deltas, then done', async () => {
    const { events, deltas, error } = await collectStream(echo.stream(conversation, signal()));
    const expected = await echo.complete(conversation, signal());

    expect(error).toBeUndefined();
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe(expected.text);
    expect(events.at(-1)).toEqual({ type: 'done', ...expected });
  });

  it("answers a title request with the first question's first 6 words", async () => {
    const request: LlmRequest = {
      system: 'Write a title of at most 6 words.',
      messages: [
        { role: 'user', content: '  Plan a relaxed\nweekend in Lisbon for two food lovers' },
        { role: 'assistant', content: 'Sure.' },
        { role: 'user', content: 'Write the title.' },
      ],
      purpose: 'title',
    };

    const result = await echo.complete(request, signal());

    expect(result).toMatchObject({
      text: 'Plan a relaxed weekend in Lisbon',
      model: 'echo',
      finishReason: 'stop',
    });
    expect((await echo.complete({ ...request, purpose: 'chat' }, signal())).text).toMatch(/^Echo provider/);
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();

    await expect(echo.complete(conversation, controller.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
    const { events, error } = await collectStream(echo.stream(conversation, controller.signal));
    expect(events).toEqual([]);
    expect(error).toMatchObject({ name: 'AbortError' });
  });
});
