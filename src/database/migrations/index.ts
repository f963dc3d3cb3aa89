import { Accounts1795300000000 } from './1795300000000-Accounts.js';
import { Chat1795300100000 } from './1795300100000-Chat.js';
import { QuestionsIndex1795400000000 } from './1795400000000-QuestionsIndex.js';
import { TurnChars1795500000000 } from './1795500000000-TurnChars.js';
import { TokenVersion1795600000000 } from './1795600000000-TokenVersion.js';
import { NormalizedUsernames1795610000000 } from './1795610000000-NormalizedUsernames.js';
import { ConversationTrees1795700000000 } from './1795700000000-ConversationTrees.js';
import { Usage1795800000000 } from './1795800000000-Usage.js';
import { Search1795810000000 } from './1795810000000-Search.js';
import { ImportSources1795820000000 } from './1795820000000-ImportSources.js';
import { ResumableGenerations1795830000000 } from './1795830000000-ResumableGenerations.js';
import { ApiKeysAnthropic1795840000000 } from './1795840000000-ApiKeysAnthropic.js';

/** Every migration in order. `npm run migration:generate` writes a new file here: add its class to this list. */
export const MIGRATIONS: Function[] = [
  Accounts1795300000000,
  Chat1795300100000,
  QuestionsIndex1795400000000,
  TurnChars1795500000000,
  TokenVersion1795600000000,
  NormalizedUsernames1795610000000,
  ConversationTrees1795700000000,
  Usage1795800000000,
  Search1795810000000,
  ImportSources1795820000000,
  ResumableGenerations1795830000000,
  ApiKeysAnthropic1795840000000,
];
