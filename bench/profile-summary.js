/* global console, process -- Node.js globals (this repo's ESLint config declares none for plain JS) */
// Summarises V8 .cpuprofile files (from bench/run.js with BENCH_PROFILE=1, or node --cpu-prof):
// top functions by self time, top packages by self time, and the inclusive ("total") time of functions.
//   node bench/profile-summary.js /tmp/prof/postgres-list.cpuprofile [--top 25] [--filter verify]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where a frame's code lives: a node_modules package, the app (dist/), node internals or V8. */
export function ownerOf(url) {
  if (!url) return '(v8/native)';
  if (url.startsWith('node:')) return 'node:internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return 'app (dist)';
  return url.replace(/^file:\/\//, '');
}

function frameName(node) {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url
    ? url
        .replace(/^file:\/\//, '')
        .replace(/^.*\/node_modules\//, '')
        .replace(/^.*\/dist\//, 'dist/')
    : '';
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

/** Self and inclusive time per function and self time per package, in ms and % of the sampled time. */
export function summarise(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const deltas = profile.timeDeltas ?? [];
  const self = new Map();
  const total = new Map();
  const packages = new Map();
  let sampled = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000; // ms this sample stands for
    const node = nodes.get(id);
    const name = frameName(node);
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    sampled += dt;
    self.set(name, (self.get(name) ?? 0) + dt);
    const owner = ['(garbage collector)', '(program)'].includes(node.callFrame.functionName)
      ? node.callFrame.functionName
      : ownerOf(node.callFrame.url);
    packages.set(owner, (packages.get(owner) ?? 0) + dt);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const n = frameName(nodes.get(cur));
      if (seen.has(n)) continue;
      seen.add(n);
      total.set(n, (total.get(n) ?? 0) + dt);
    }
  });
  const rank = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, ms]) => ({ name, ms: Math.round(ms), pct: sampled ? (100 * ms) / sampled : 0 }));
  return {
    busyMs: Math.round(sampled),
    idleMs: Math.round(idle),
    self: rank(self),
    total: rank(total),
    packages: rank(packages),
  };
}

export function formatSummary(title, summary, { top = 15, filter } = {}) {
  const pct = (x) => `${x.pct.toFixed(1).padStart(5)}%`;
  const lines = [`--- ${title}: busy ${summary.busyMs} ms, idle ${summary.idleMs} ms`];
  lines.push('  self time by package:');
  for (const p of summary.packages.slice(0, 12)) lines.push(`    ${pct(p)}  ${p.name}`);
  lines.push(`  top ${top} functions by self time:`);
  for (const f of summary.self.slice(0, top)) lines.push(`    ${pct(f)}  ${f.name}`);
  if (filter) {
    const re = new RegExp(filter, 'i');
    lines.push(`  inclusive time of functions matching /${filter}/:`);
    for (const f of summary.total.filter((t) => re.test(t.name)).slice(0, top))
      lines.push(`    ${pct(f)}  ${f.name}`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name) => {
    const i = args.indexOf(name);
    if (i === -1) return undefined;
    const [, value] = args.splice(i, 2);
    return value;
  };
  const top = Number(option('--top') ?? 20);
  const filter = option('--filter');
  if (args.length === 0) {
    console.error('usage: node bench/profile-summary.js FILE.cpuprofile… [--top N] [--filter REGEX]');
    process.exit(2);
  }
  for (const file of args) {
    console.log(formatSummary(file, summarise(JSON.parse(readFileSync(file, 'utf8'))), { top, filter }));
  }
}
