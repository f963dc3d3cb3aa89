import { describe } from '@jest/globals';
import { treeBehaviours, treeFixture } from './utils/tree-behaviours.js';

/**
 * Conversation trees (issue #22) with plain JSON answers: branch from `parent_id`, edit, regenerate,
 * switch, `?leaf=`, siblings and the seed routes' view, each turn checked at the OpenAI wire fake.
 * The same behaviours run streamed in stream-trees.e2e-spec.ts.
 */
describe('conversation trees, plain JSON answers', () => {
  treeBehaviours(treeFixture('plain'));
});
