/**
 * What grew between two V8 heap snapshots (the live run's `--live-heap-snapshots`: a server
 * before its subscribers and after): objects grouped by constructor (or type, for strings,
 * arrays, closures...), their count and self size after − before, largest growth first.
 *
 *   node --import tsx bench/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [subscribers] [top]
 *
 * With `subscribers`, each group's growth per subscriber too. Self sizes only: what an object
 * holds through references shows under the referenced objects' own groups.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

type Groups = Map<string, { count: number; size: number }>;

function groups(file: string): Groups {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = data.snapshot.meta.node_fields;
  const types = data.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const out: Groups = new Map();
  for (let i = 0; i < data.nodes.length; i += width) {
    const type = types[data.nodes[i + typeAt]!]!;
    // Objects by constructor name; everything else (strings, closures, arrays, code) by type.
    const key = type === 'object' || type === 'native' ? `${type} ${data.strings[data.nodes[i + nameAt]!]}` : `(${type})`;
    const group = out.get(key) ?? { count: 0, size: 0 };
    group.count += 1;
    group.size += data.nodes[i + sizeAt]!;
    out.set(key, group);
  }
  return out;
}

function main(): void {
  const [beforeFile, afterFile, subscribersArg, topArg] = process.argv.slice(2);
  if (!beforeFile || !afterFile) {
    process.stderr.write('usage: node --import tsx bench/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [subscribers] [top]\n');
    process.exit(2);
  }
  const subscribers = subscribersArg ? Number(subscribersArg) : undefined;
  const before = groups(beforeFile);
  const after = groups(afterFile);
  const rows = [...after.entries()].map(([key, a]) => {
    const b = before.get(key) ?? { count: 0, size: 0 };
    return { key, count: a.count - b.count, size: a.size - b.size };
  });
  rows.sort((x, y) => y.size - x.size);
  const total = rows.reduce((n, r) => n + r.size, 0);
  const per = (n: number) => (subscribers ? ` ${(n / subscribers).toFixed(1).padStart(8)}` : '');
  process.stdout.write(`self size growth ${(total / 1024).toFixed(0)} KB${subscribers ? `, ${(total / subscribers).toFixed(0)} B per subscriber` : ''}\n`);
  process.stdout.write(`${'bytes'.padStart(12)} ${'objects'.padStart(9)}${subscribers ? `${'B/sub'.padStart(9)}${'obj/sub'.padStart(9)}` : ''}  group\n`);
  for (const r of rows.slice(0, Number(topArg ?? 30))) {
    process.stdout.write(`${String(r.size).padStart(12)} ${String(r.count).padStart(9)}${per(r.size)}${per(r.count)}  ${r.key}\n`);
  }
}

main();
