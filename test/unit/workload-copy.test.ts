/**
 * The project keeps its own copy of the workload contract so a clone tests on its own. Beside
 * `shared/` (development), the copy must be the contract byte for byte; a clone without it still
 * checks that the copy is whole and every document parses.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'graphql';
import { BENCH_DOCUMENTS } from '../helpers/documents';
import { WORKLOAD_CONTRACT_DIR, WORKLOAD_COPY_DIR } from '../helpers/env';

const graphqlFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.graphql')).sort();

/** Every way the copy departs from the contract, one line per file. */
function differences(copyDir: string, contractDir: string): string[] {
  const copy = graphqlFiles(copyDir);
  const contract = graphqlFiles(contractDir);
  const problems: string[] = [];
  for (const file of contract) {
    if (!copy.includes(file)) problems.push(`${file}: in ${contractDir}, missing from ${copyDir}`);
    else if (!readFileSync(path.join(copyDir, file)).equals(readFileSync(path.join(contractDir, file)))) {
      problems.push(`${file}: differs between ${copyDir} and ${contractDir}`);
    }
  }
  for (const file of copy) {
    if (!contract.includes(file)) problems.push(`${file}: in ${copyDir}, missing from ${contractDir}`);
  }
  return problems;
}

function parses(source: string): true | string {
  try {
    parse(source);
    return true;
  } catch (error) {
    return String(error);
  }
}

describe('the workload copy in bench/queries', () => {
  // Decided when the file loads, so the test's name says which checks ran.
  const contractBeside = existsSync(WORKLOAD_CONTRACT_DIR);

  it(
    contractBeside
      ? 'is ../shared/bench/queries byte for byte, and every document parses'
      : 'holds every contract document, and each parses (no ../shared/bench/queries to compare with)',
    () => {
      if (contractBeside) expect(differences(WORKLOAD_COPY_DIR, WORKLOAD_CONTRACT_DIR)).toEqual([]);
      expect(graphqlFiles(WORKLOAD_COPY_DIR)).toEqual(BENCH_DOCUMENTS.map((name) => `${name}.graphql`).sort());
      for (const name of BENCH_DOCUMENTS) {
        const source = readFileSync(path.join(WORKLOAD_COPY_DIR, `${name}.graphql`), 'utf8');
        expect({ name, parses: parses(source) }).toEqual({ name, parses: true });
      }
    },
  );

  it('names each document that differs or is missing, on either side', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'workload-copy-'));
    try {
      const copy = path.join(root, 'copy');
      const contract = path.join(root, 'contract');
      mkdirSync(copy);
      mkdirSync(contract);
      const doc = '{ products(first: 1) { totalCount } }\n';
      for (const dir of [copy, contract]) writeFileSync(path.join(dir, 'same.graphql'), doc);
      writeFileSync(path.join(copy, 'edited.graphql'), doc);
      writeFileSync(path.join(contract, 'edited.graphql'), doc.replace('1', '2'));
      writeFileSync(path.join(copy, 'extra.graphql'), doc);
      writeFileSync(path.join(contract, 'new.graphql'), doc);
      writeFileSync(path.join(copy, 'README.md'), 'not a document');

      expect(differences(copy, contract)).toEqual([
        `edited.graphql: differs between ${copy} and ${contract}`,
        `new.graphql: in ${contract}, missing from ${copy}`,
        `extra.graphql: in ${copy}, missing from ${contract}`,
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
