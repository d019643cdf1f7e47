/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) and says where the time went: self time
 * per function and per place (a package in node_modules, a file in src/, or node itself).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: Array<{ name: string; where: string; selfMs: number; share: number }>;
  places: Array<{ where: string; selfMs: number; share: number }>;
}

/** `node_modules/aedes`, `src/energy/energy-book.ts`, `node:internal`, `(program)`, ... */
export function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  // tsx runs TypeScript as inline modules; their source is the URL.
  if (url.startsWith('data:')) return '(a module compiled by tsx)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return `node_modules/${modules[1]}`;
  const source = /\/(src\/.+|bench\/.+)$/.exec(url);
  if (source) return (source[1] as string).replace(/^dist\//, '').replace(/\.js$/, '.ts');
  const dist = /\/dist\/(src\/.+)$/.exec(url);
  if (dist) return (dist[1] as string).replace(/\.js$/, '.ts');
  if (url.startsWith('node:')) return url.split('/')[0] === 'node:internal' ? 'node:internal' : url;
  return url;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    // Each sample's time is the delta to the next one.
    const next = deltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, next));
  }
  const totalUs = [...selfUs.values()].reduce((sum, value) => sum + value, 0) || 1;
  const functions = new Map<string, { name: string; where: string; selfUs: number }>();
  const places = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = placeOf(url, functionName);
    const name = functionName || '(anonymous)';
    const key = `${name}@${url}:${lineNumber}`;
    const entry = functions.get(key) ?? { name, where: `${where}:${lineNumber + 1}`, selfUs: 0 };
    entry.selfUs += us;
    functions.set(key, entry);
    places.set(where, (places.get(where) ?? 0) + us);
  }
  return {
    totalMs: totalUs / 1000,
    functions: [...functions.values()]
      .sort((a, b) => b.selfUs - a.selfUs)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.selfUs / 1000, share: f.selfUs / totalUs })),
    places: [...places.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, us]) => ({ where, selfMs: us / 1000, share: us / totalUs })),
  };
}

/** Shares of the busy time (idle left out): where the CPU went while there was work. */
export function formatProfile(title: string, summary: ProfileSummary): string {
  const idleShare = summary.places.find((p) => p.where === '(idle)')?.share ?? 0;
  const busy = 1 - idleShare || 1;
  const percent = (share: number) => `${((share / busy) * 100).toFixed(1).padStart(5)}%`;
  return [
    `${title}: ${summary.totalMs.toFixed(0)} ms sampled, ${(summary.totalMs * busy).toFixed(0)} ms busy; shares of the busy time`,
    '  self time by place:',
    ...summary.places.filter((p) => p.where !== '(idle)').map((p) => `    ${percent(p.share)}  ${p.where}`),
    '  self time by function:',
    ...summary.functions
      .filter((f) => f.name !== '(idle)')
      .map((f) => `    ${percent(f.share)}  ${f.name}  (${f.where})`),
  ].join('\n');
}
