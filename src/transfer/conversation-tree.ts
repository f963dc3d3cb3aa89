import { ConversationError, type ImportedMessage } from './imported-conversation.js';

/** What a message of a tree is, apart from its place in the tree. */
export type MessageBody = Omit<ImportedMessage, 'key' | 'parentKey' | 'depth'>;

/** A node of a file's tree: its message, or null when it is left out (its children then hang under its nearest kept ancestor). */
export interface TreeNodeInput {
  key: string;
  parentKey: string | null;
  message: MessageBody | null;
}

export interface PlacedTree {
  messages: ImportedMessage[];
  activeLeafKey: string | null;
}

/**
 * Places the kept messages of a tree given by parent links: each under its nearest kept ancestor, with its
 * depth, in the order they are to be stored (their `seq`): the file's (`file`, our own export, written in
 * `seq` order) or by time (`time`, ChatGPT's mapping, in no particular order), parents before children. `currentKey` (the node the file shows) becomes
 * the nearest kept message at or above it; when absent, the newest message. ConversationError on a key
 * used twice, a parent that is not a node, or a cycle.
 */
export function placeTree(
  nodes: TreeNodeInput[],
  currentKey: string | null,
  order: 'file' | 'time',
): PlacedTree {
  const byKey = new Map<string, TreeNodeInput>();
  for (const node of nodes) {
    if (byKey.has(node.key)) throw new ConversationError(`node ${node.key} appears twice`);
    byKey.set(node.key, node);
  }
  // The nearest kept node at or above each node (its own key when kept), null above a root.
  const anchorOf = new Map<string, string | null>();
  const depthOf = new Map<string, number>();
  for (const start of nodes) {
    const chain: TreeNodeInput[] = [];
    const walking = new Set<string>();
    for (let node = start; !anchorOf.has(node.key);) {
      if (walking.has(node.key)) throw new ConversationError(`the nodes form a cycle through ${node.key}`);
      walking.add(node.key);
      chain.push(node);
      if (node.parentKey === null) break;
      const parent = byKey.get(node.parentKey);
      if (!parent)
        throw new ConversationError(`the parent ${node.parentKey} of node ${node.key} is not a node`);
      node = parent;
    }
    for (const walked of chain.reverse()) {
      const above = walked.parentKey === null ? null : (anchorOf.get(walked.parentKey) ?? null);
      if (walked.message) {
        anchorOf.set(walked.key, walked.key);
        depthOf.set(walked.key, above === null ? 0 : (depthOf.get(above) as number) + 1);
      } else {
        anchorOf.set(walked.key, above);
      }
    }
  }
  const kept = nodes.flatMap((node, index) => {
    if (!node.message) return [];
    const parentKey = node.parentKey === null ? null : (anchorOf.get(node.parentKey) ?? null);
    const message: ImportedMessage = {
      ...node.message,
      key: node.key,
      parentKey,
      depth: depthOf.get(node.key) as number,
    };
    return [{ message, index }];
  });
  type Kept = (typeof kept)[number];
  const byTime = (a: Kept, b: Kept) =>
    a.message.createdAt.getTime() - b.message.createdAt.getTime() || a.index - b.index;
  kept.sort(order === 'time' ? byTime : (a, b) => a.index - b.index);
  // Clocks may disagree with the tree (a child stamped before its parent): then level by level.
  if (!parentsFirst(kept.map((k) => k.message)))
    kept.sort((a, b) => a.message.depth - b.message.depth || byTime(a, b));
  const messages = kept.map(({ message }) => message);
  return { messages, activeLeafKey: activeLeaf(messages, currentKey, anchorOf) };
}

function activeLeaf(
  messages: ImportedMessage[],
  currentKey: string | null,
  anchorOf: Map<string, string | null>,
): string | null {
  if (currentKey !== null) {
    if (!anchorOf.has(currentKey))
      throw new ConversationError(`the current node ${currentKey} is not a node`);
    const anchor = anchorOf.get(currentKey) ?? null;
    if (anchor !== null) return anchor;
  }
  let newest: ImportedMessage | null = null;
  for (const message of messages)
    if (!newest || message.createdAt.getTime() >= newest.createdAt.getTime()) newest = message;
  return newest?.key ?? null;
}

/** Whether every message comes after its parent. */
function parentsFirst(messages: ImportedMessage[]): boolean {
  const seen = new Set<string>();
  for (const message of messages) {
    if (message.parentKey !== null && !seen.has(message.parentKey)) return false;
    seen.add(message.key);
  }
  return true;
}
