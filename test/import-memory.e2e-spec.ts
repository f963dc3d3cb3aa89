import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { allSessions, ChatUser, newUser } from './utils/chat-helpers.js';
import { startTestApp, type TestApp, usingPostgresServer } from './utils/test-app.js';
import { importOk } from './utils/transfer-helpers.js';

/** A process's resident set, in MiB (Linux). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) / 1024;
}

/**
 * A ChatGPT export of `conversations` conversations of `turns` question/answer pairs, each message about
 * `chars` characters, built as text directly (the test process holds it, not the server).
 */
function chatGptExport(prefix: string, conversations: number, turns: number, chars: number): string {
  const filler = 'lorem ipsum dolor sit amet, consectetur adipiscing elit. '
    .repeat(Math.ceil(chars / 57))
    .slice(0, chars);
  const parts: string[] = [];
  for (let c = 0; c < conversations; c++) {
    const mapping: Record<string, unknown> = {
      root: { id: 'root', parent: null, children: ['n0'], message: null },
    };
    for (let n = 0; n < 2 * turns; n++) {
      const id = `n${n}`;
      mapping[id] = {
        id,
        parent: n === 0 ? 'root' : `n${n - 1}`,
        children: n + 1 < 2 * turns ? [`n${n + 1}`] : [],
        message: {
          id,
          author: { role: n % 2 === 0 ? 'user' : 'assistant' },
          create_time: 1700000000 + c * 1000 + n,
          content: { content_type: 'text', parts: [`${c}/${n} ${filler}`] },
          metadata: {},
          recipient: 'all',
        },
      };
    }
    parts.push(
      JSON.stringify({
        id: `${prefix}-${c}`,
        title: `Conversation ${c}`,
        create_time: 1700000000 + c * 1000,
        mapping,
        current_node: `n${2 * turns - 1}`,
      }),
    );
  }
  return `[${parts.join(',\n')}]`;
}

/**
 * A 50 MB import is read as a stream: the server's resident memory grows by a bounded amount, not by
 * the file's size times the few it takes to hold it parsed, and no more for a 48 MiB file than for a
 * 12 MiB one. Sampled from /proc every 20 ms during each import (after a small warm-up import), against
 * the RSS just before it. The embedded database runs in the server's own process and keeps the pages it
 * wrote in its WASM memory, so its bounds are larger.
 */
describe('a 50 MB import stays within a memory bound', () => {
  /**
   * The server's V8 heap is capped at 96 MiB, well under what holding the file would take (48 MiB of
   * text, 126 MiB more parsed by JSON.parse): the import must stream to succeed at all. Without the cap,
   * V8 lets the heap grow with the allocation rate before it collects (+88 MiB measured on PostgreSQL).
   */
  const HEAP_MIB = 96;
  const BOUND_MIB = usingPostgresServer ? 60 : 150;
  /**
   * How much more the 48 MiB file may grow the RSS than the 12 MiB one did, each from the RSS just before
   * it. Measured in four runs each: on PostgreSQL the 48 MiB file grew it 8–17 MiB less than the 12 MiB
   * one (whose growth includes V8's heap reaching its cap), and a server holding the file's bytes 12 MiB
   * more (+41 against +29): 5 MiB tells them apart. PGlite's WASM memory grows with the pages written and
   * at times gives some back, so its excess varied from −16 to +31 MiB: 40 MiB only catches gross growth.
   */
  const MARGIN_MIB = usingPostgresServer ? 5 : 40;
  let app: TestApp;
  let user: ChatUser;

  beforeAll(async () => {
    app = await startTestApp({ NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}` });
    user = await newUser(app.http, 'mem');
  });
  afterAll(async () => {
    await app?.close();
  });

  it(`grows the server's RSS by less than the bound, and no more for 48 MB than for 12 (within a margin)`, async () => {
    await importOk(app.http, user.auth, chatGptExport('warm-up', 20, 10, 2000)); // code paths, pools
    /** Imports a file while sampling the RSS; its peak growth over the RSS just before, and the seconds taken. */
    const measured = async (file: string, conversations: number) => {
      const baseline = rssMiB(app.pid);
      let peak = baseline;
      const sample = () => (peak = Math.max(peak, rssMiB(app.pid)));
      const sampler = setInterval(sample, 20);
      const started = Date.now();
      try {
        expect(await importOk(app.http, user.auth, file)).toMatchObject({
          imported: conversations,
          failed: 0,
        });
      } finally {
        clearInterval(sampler);
        sample();
      }
      return { baseline, peak, growth: peak - baseline, seconds: (Date.now() - started) / 1000 };
    };
    const quarter = await measured(chatGptExport('quarter', 150, 20, 1900), 150);
    const file = chatGptExport('big', 600, 20, 1900);
    const bytes = Buffer.byteLength(file);
    expect(bytes).toBeGreaterThan(48 * 1024 * 1024);
    expect(bytes).toBeLessThanOrEqual(50 * 1024 * 1024);
    const big = await measured(file, 600);
    const rss = (m: typeof big) =>
      `${m.baseline.toFixed(0)} → peak ${m.peak.toFixed(0)} MiB (+${m.growth.toFixed(0)}) in ${m.seconds.toFixed(1)} s`;
    console.log(
      `On ${usingPostgresServer ? 'PostgreSQL' : 'PGlite'}, server RSS: 12 MiB import (150 conversations) ` +
        `${rss(quarter)}; ${(bytes / 1024 / 1024).toFixed(1)} MiB import (600 conversations, 24,000 ` +
        `messages) ${rss(big)}. Bounds: +${BOUND_MIB} MiB, and 48 ≤ 12 + ${MARGIN_MIB} MiB.`,
    );
    expect(big.growth).toBeLessThan(BOUND_MIB);
    expect(quarter.growth).toBeLessThan(BOUND_MIB);
    expect(big.growth).toBeLessThanOrEqual(quarter.growth + MARGIN_MIB);
    expect(await allSessions(app.http, user.auth)).toHaveLength(770);
  }, 600_000);
});
