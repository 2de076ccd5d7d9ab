/**
 * Where a CPU profile's time went, as text: `node --import tsx bench/profile-top.ts <file.cpuprofile> [n]`.
 *
 * Prints the n (default 25) functions with the most self time, then self time summed by where the
 * code lives (our src/, each package in node_modules, Node's internals, GC, idle). For profiles
 * written by `npm run bench -- --profile` (one per measured window).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function where(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return '(garbage collector)';
  if (functionName === '(idle)' || functionName === '(program)') return functionName;
  if (!url) return '(native / V8)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node internals';
  const src = url.indexOf('/src/');
  if (src >= 0) return `src/${url.slice(src + 5).split('/')[0]}`;
  return path.basename(url);
}

function main(): void {
  const [file, count] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node --import tsx bench/profile-top.ts <file.cpuprofile> [n]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()]
    .filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)')
    .reduce((a, [, t]) => a + t, 0);

  const functions = new Map<string, number>();
  const places = new Map<string, number>();
  for (const [id, micros] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const place = where(url, functionName);
    const name = `${functionName || '(anonymous)'}  ${url ? `${place === 'node internals' ? url : url.replace(/^.*?(node_modules\/|\/src\/|\/bench\/)/, '$1')}:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
    places.set(place, (places.get(place) ?? 0) + micros);
  }
  const busy = total - idle;
  const share = (micros: number) => `${((100 * micros) / busy).toFixed(1).padStart(5)} %`;
  process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (shares below are of busy time)\n\n`);
  process.stdout.write('self time by function\n');
  for (const [name, micros] of [...functions].filter(([n]) => !n.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, Number(count ?? 25))) {
    process.stdout.write(`${share(micros)}  ${name}\n`);
  }
  process.stdout.write('\nself time by where the code lives\n');
  for (const [place, micros] of [...places].filter(([p]) => p !== '(idle)').sort((a, b) => b[1] - a[1])) {
    process.stdout.write(`${share(micros)}  ${place}\n`);
  }
}

main();
