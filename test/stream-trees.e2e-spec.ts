import { describe, expect, it } from '@jest/globals';
import { type MessageBody, sleep } from './utils/chat-helpers.js';
import { createdQuestion, dataOf, eventNames, requestSse } from './utils/sse-client.js';
import { expectSiblings, ids, said, user } from './utils/tree-helpers.js';
import { treeBehaviours, treeFixture } from './utils/tree-behaviours.js';

/**
 * Conversation trees (issue #22) with streamed answers (Server-Sent Events): the behaviours of
 * chat-trees.e2e-spec.ts, each turn streamed and checked at the OpenAI wire fake, then what only a
 * stream can do: break mid-answer, or lose its client.
 */
describe('conversation trees, streamed answers', () => {
  const ctx = treeFixture('streamed');
  treeBehaviours(ctx);

  describe('what only a stream can do', () => {
    it('a regeneration cut mid-stream: an `error` event; the partial answer is stored failed beside the earlier one, and the next context leaves it out with its question', async () => {
      const { chat, wire, me, openai, reads } = ctx;
      const session = await ctx.newSession();
      const [t1, t2] = await chat.conversation(me.auth, session.id, ['Q1', 'Q2']);

      openai.failMidStream(1, { text: 'words that never reach their end', chunks: 3 });
      const reply = await wire.expectOne([...said(t1), user('Q2')], () =>
        chat.regenerate(me.auth, session.id, t2.assistant_message.id),
      );
      chat.expectFailedTurn(reply, 502);
      const sse = reply.sse;
      expect(eventNames(sse!)).toEqual(['message.created', 'delta', 'error']);
      // message.created carries the existing question, as stored.
      const shown = await reads.path(me.auth, session.id);
      expect(createdQuestion<MessageBody>(sse!.events[0])).toEqual(shown[2]);
      const partial = shown[3];
      expect(partial).toMatchObject({
        id: dataOf(sse!.events[1]).message_id,
        status: 'failed',
        parent_id: t2.user_message.id,
        error: expect.stringMatching(/\S/),
      });
      expect(partial.content.length).toBeGreaterThan(0);
      expectSiblings(partial, [t2.assistant_message.id, partial.id], 1);

      await wire.expectOne([...said(t1), user('after the cut')], () =>
        chat.turn(me.auth, session.id, 'after the cut'),
      );
    });

    it('a client that hangs up during an edit: the answer is still generated, stored complete, and the active leaf', async () => {
      const { app, chat, me, openai, reads } = ctx;
      const session = await ctx.newSession();
      const [t1, t2] = await chat.conversation(me.auth, session.id, ['Q1', 'Q2']);

      openai.reply('An answer nobody waits for.', { chunks: 4, delayMs: 150 });
      const res = await requestSse(
        `${app.baseUrl}/api/v1/chat-sessions/${session.id}/messages/${t2.user_message.id}/edit`,
        {
          headers: { authorization: me.auth },
          body: { content: 'Q2, asked and abandoned' },
          abortWhen: (event) => event.event === 'delta',
        },
      );
      expect(res.ended).toBe('aborted');
      const question = createdQuestion<MessageBody>(res.events[0]);
      const answerId = dataOf(res.events[1]).message_id as string;

      let answer: MessageBody | undefined;
      for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(100)) {
        answer = (await reads.path(me.auth, session.id)).at(-1);
        if (answer?.id === answerId && answer.status !== 'streaming') break;
      }
      expect(answer).toMatchObject({
        id: answerId,
        status: 'complete',
        content: 'An answer nobody waits for.',
        parent_id: question.id,
      });
      expect(ids(await reads.path(me.auth, session.id))).toEqual([
        t1.user_message.id,
        t1.assistant_message.id,
        question.id,
        answerId,
      ]);
      expectSiblings(question, [t2.user_message.id, question.id], 1);
      expect((await reads.session(me.auth, session.id)).active_leaf_id).toBe(answerId);
      expect(openai.lastRequest?.closedEarly).toBe(false);
    });
  });
});
