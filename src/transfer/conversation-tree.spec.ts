import { describe, expect, it } from '@jest/globals';
import { type MessageBody, placeTree, type TreeNodeInput } from './conversation-tree.js';

const body = (role: 'user' | 'assistant', second: number): MessageBody => ({
  role,
  content: `${role} at ${second}`,
  status: 'complete',
  provider: null,
  model: null,
  promptTokens: null,
  completionTokens: null,
  error: null,
  createdAt: new Date(second * 1000),
});
const node = (key: string, parentKey: string | null, message: MessageBody | null): TreeNodeInput => ({
  key,
  parentKey,
  message,
});
const placed = (nodes: TreeNodeInput[], current: string | null, order: 'file' | 'time' = 'time') =>
  placeTree(nodes, current, order).messages.map((m) => [m.key, m.parentKey, m.depth]);

describe('placeTree', () => {
  it('hangs the children of a left-out node under its nearest kept ancestor, depths counted on kept nodes', () => {
    const nodes = [
      node('root', null, null),
      node('system', 'root', null),
      node('q', 'system', body('user', 1)),
      node('call', 'q', null),
      node('tool', 'call', null),
      node('a', 'tool', body('assistant', 2)),
    ];
    expect(placed(nodes, 'a')).toEqual([
      ['q', null, 0],
      ['a', 'q', 1],
    ]);
  });

  it('stores parents first and siblings oldest first, whatever the mapping order', () => {
    const nodes = [
      node('a2', 'q', body('assistant', 5)),
      node('a1', 'q', body('assistant', 3)),
      node('q', null, body('user', 1)),
    ];
    expect(placed(nodes, 'a2')).toEqual([
      ['q', null, 0],
      ['a1', 'q', 1],
      ['a2', 'q', 1],
    ]);
  });

  it('keeps the file order when it puts parents first; goes level by level when clocks disagree', () => {
    const nodes = [node('q', null, body('user', 9)), node('a', 'q', body('assistant', 1))];
    expect(placed(nodes, null, 'file')).toEqual([
      ['q', null, 0],
      ['a', 'q', 1],
    ]);
    expect(placed(nodes, null, 'time')).toEqual([
      ['q', null, 0],
      ['a', 'q', 1],
    ]);
  });

  it('makes a left-out current node’s nearest kept ancestor the active leaf; the newest message without one', () => {
    const nodes = [
      node('q', null, body('user', 1)),
      node('a', 'q', body('assistant', 2)),
      node('hidden', 'a', null),
      node('q2', 'q', body('user', 3)),
    ];
    expect(placeTree(nodes, 'hidden', 'time').activeLeafKey).toBe('a');
    expect(placeTree(nodes, null, 'time').activeLeafKey).toBe('q2');
    expect(placeTree([node('root', null, null)], 'root', 'time')).toEqual({
      messages: [],
      activeLeafKey: null,
    });
  });

  it.each([
    ['a cycle', [node('a', 'b', body('user', 1)), node('b', 'a', null)], null, /cycle through/],
    ['a self-parent', [node('a', 'a', body('user', 1))], null, /cycle through a/],
    ['a parent that is no node', [node('a', 'gone', body('user', 1))], null, /parent gone of node a/],
    ['a key used twice', [node('a', null, null), node('a', null, null)], null, /appears twice/],
    ['a current node that is no node', [node('a', null, body('user', 1))], 'gone', /current node gone/],
  ])('refuses %s', (_name, nodes, current, reason) => {
    expect(() => placeTree(nodes, current, 'time')).toThrow(reason);
  });
});
