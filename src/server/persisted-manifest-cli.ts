/**
 * `npm run persisted:manifest -- [--out <file>] <folder | file | glob>...`: writes the manifest
 * of registered documents (sha256 -> document) that `PERSISTED_DOCUMENTS_ONLY=true` accepts,
 * from a frontend's `.graphql` files. `--out` defaults to PERSISTED_DOCUMENTS_MANIFEST, else
 * `persisted-documents.json`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { runScript } from './cli';
import { buildManifest, expandSources } from './persisted-manifest';

runScript('Building the persisted documents manifest', async () => {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : process.env.PERSISTED_DOCUMENTS_MANIFEST || 'persisted-documents.json';
  const sources = outAt >= 0 ? [...args.slice(0, outAt), ...args.slice(outAt + 2)] : args;
  if (!out || sources.length === 0) {
    throw new Error('usage: npm run persisted:manifest -- [--out <file>] <folder | file | glob>...');
  }
  const files = expandSources(sources);
  if (files.length === 0) throw new Error(`no .graphql files found in ${sources.join(', ')}`);
  const manifest = buildManifest(files.map((file) => ({ path: file, text: readFileSync(file, 'utf8') })));
  writeFileSync(out, `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`${out}: ${Object.keys(manifest).length} documents from ${files.length} files.\n`);
});
