/**
 * Small parts of the abuse protection: which address is the client's behind proxies, which
 * files the manifest command reads, and what the manifest accepts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clientAddress } from '../../src/server/client-address';
import { isRegistered, loadManifest, sha256 } from '../../src/server/persisted-documents';
import { buildManifest, expandSources } from '../../src/server/persisted-manifest';
import { WORKLOAD_COPY_DIR } from '../helpers/env';

const request = (peer: string, forwardedFor?: string) =>
  ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

describe('the client address', () => {
  it('is the TCP peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress(request('10.0.0.9', '1.2.3.4'), 0)).toBe('10.0.0.9');
  });

  it('is the entry `hops` from the right behind trusted proxies; forged entries further left are ignored', () => {
    // The client forged 6.6.6.6; the balancer (the peer) appended the real client, 1.2.3.4.
    expect(clientAddress(request('10.0.0.1', '6.6.6.6, 1.2.3.4'), 1)).toBe('1.2.3.4');
    expect(clientAddress(request('10.0.0.2', '6.6.6.6, 1.2.3.4, 10.0.0.1'), 2)).toBe('1.2.3.4');
    // Fewer entries than hops: the leftmost there is.
    expect(clientAddress(request('10.0.0.1'), 1)).toBe('10.0.0.1');
  });
});

describe('the manifest', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sf-manifest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the command reads folders, files and globs, each file once', () => {
    const all = expandSources([WORKLOAD_COPY_DIR]);
    expect(all).toHaveLength(8);
    expect(expandSources([`${WORKLOAD_COPY_DIR}/**/*.graphql`, path.join(WORKLOAD_COPY_DIR, 'me.graphql')])).toEqual(all);
    expect(expandSources([`${WORKLOAD_COPY_DIR}/pro*.graphql`]).map((file) => path.basename(file))).toEqual(['product-page.graphql', 'product-updated.graphql']);
  });

  it('an operation carries the fragments it uses, from any file, and nothing else', () => {
    const manifest = buildManifest([
      { path: 'a.graphql', text: 'query A { product(id: "1") { ...P } }' },
      { path: 'b.graphql', text: 'fragment P on Product { id ...Q } fragment Q on Product { name } fragment Unused on Product { sku }' },
    ]);
    const [document] = Object.values(manifest);
    expect(Object.keys(manifest)).toEqual([sha256(document!)]);
    expect(document).toMatch(/^query A[\s\S]*fragment P[\s\S]*fragment Q/);
    expect(document).not.toContain('Unused');
    expect(() => buildManifest([{ path: 'c.graphql', text: 'query { ...Missing }' }])).toThrow(/c.graphql: .*fragment Missing, which no file defines/);
  });

  it('accepts the document as written or printed, and by hash; refuses anything else; a tampered file fails to load', () => {
    const file = path.join(dir, 'manifest.json');
    const document = 'query Q {\n  categories {\n    id\n  }\n}';
    writeFileSync(file, JSON.stringify({ [sha256(document)]: document }));
    const manifest = loadManifest(file);
    expect(isRegistered(manifest, { query: document })).toBe(true);
    expect(isRegistered(manifest, { query: '# listed\nquery Q { categories { id } }' })).toBe(true);
    expect(isRegistered(manifest, { extensions: { persistedQuery: { sha256Hash: sha256(document) } } })).toBe(true);
    expect(isRegistered(manifest, { query: 'query Q { categories { id name } }' })).toBe(false);
    expect(isRegistered(manifest, { query: '{ not graphql' })).toBe(false);
    expect(isRegistered(manifest, [{ query: document }])).toBe(false);

    writeFileSync(file, JSON.stringify({ [sha256(document)]: `${document} ` }));
    expect(() => loadManifest(file)).toThrow(/is not the sha256 of its document/);
  });
});
