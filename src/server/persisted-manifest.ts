/**
 * Builds the registered-documents manifest from a frontend's `.graphql` files: one entry per
 * operation, the operation printed (comments and layout dropped) followed by the fragments it
 * uses, transitively, in name order; keyed by the sha256 of that text. Fragments may live in
 * any of the files. Used by `npm run persisted:manifest`.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, print, visit, type DefinitionNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { sha256 } from './persisted-documents';

export interface SourceFile {
  path: string;
  text: string;
}

/** sha256 -> document, for every operation of `files`, in the files' order. */
export function buildManifest(files: readonly SourceFile[]): Record<string, string> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: { file: string; operation: OperationDefinitionNode }[] = [];
  for (const file of files) {
    let definitions: readonly DefinitionNode[];
    try {
      definitions = parse(file.text, { noLocation: true }).definitions;
    } catch (error) {
      throw new Error(`${file.path}: ${(error as Error).message}`);
    }
    for (const definition of definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        if (fragments.has(definition.name.value)) throw new Error(`${file.path}: fragment ${definition.name.value} is defined twice.`);
        fragments.set(definition.name.value, definition);
      } else if (definition.kind === Kind.OPERATION_DEFINITION) {
        operations.push({ file: file.path, operation: definition });
      }
    }
  }
  const manifest: Record<string, string> = {};
  for (const { file, operation } of operations) {
    const used = new Map<string, FragmentDefinitionNode>();
    const collect = (node: OperationDefinitionNode | FragmentDefinitionNode) =>
      visit(node, {
        FragmentSpread(spread) {
          const name = spread.name.value;
          if (used.has(name)) return;
          const fragment = fragments.get(name);
          if (!fragment) throw new Error(`${file}: operation ${operation.name?.value ?? '(anonymous)'} uses fragment ${name}, which no file defines.`);
          used.set(name, fragment);
          collect(fragment);
        },
      });
    collect(operation);
    const document = print({
      kind: Kind.DOCUMENT,
      definitions: [operation, ...[...used.values()].sort((a, b) => a.name.value.localeCompare(b.name.value))],
    });
    manifest[sha256(document)] = document;
  }
  return manifest;
}

const GRAPHQL_FILE = /\.(graphql|gql)$/;

/** Every file under `dir`, as paths relative to it with `/` separators. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? walk(path.join(dir, entry.name), relative) : [relative];
  });
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      source += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * The `.graphql` (and `.gql`) files a command-line argument names: a file, a folder (searched
 * through), or a glob (`src/**\/*.graphql`; `*`, `**` and `?`), sorted, each once.
 */
export function expandSources(args: readonly string[]): string[] {
  const found = new Set<string>();
  for (const arg of args) {
    if (!/[*?]/.test(arg)) {
      const stats = statSync(arg);
      const files = stats.isDirectory() ? walk(arg).filter((file) => GRAPHQL_FILE.test(file)).map((file) => path.join(arg, file)) : [arg];
      for (const file of files) found.add(file);
      continue;
    }
    const parts = arg.split('/');
    const fixed = parts.findIndex((part) => /[*?]/.test(part));
    const base = parts.slice(0, fixed).join('/') || '.';
    const pattern = globToRegExp(parts.slice(fixed).join('/'));
    for (const file of walk(base)) if (pattern.test(file)) found.add(path.join(base, file));
  }
  return [...found].sort();
}
