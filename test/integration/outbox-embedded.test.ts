/**
 * The outbox on the embedded PostgreSQL (PGlite), which runs when no DATABASE_URL is set: its
 * triggers, the API's connection name (PGlite ignores the one a client sends when it connects,
 * so the pool sets it), and the relay's `FOR UPDATE SKIP LOCKED`, which PGlite accepts (with its
 * single connection there is never another relay to skip). PGlite cannot start inside Jest's
 * module sandbox, so a probe runs in a process of its own.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/env';

it('names the API\'s connection, records only other programs\' writes, and publishes and deletes them', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sf-outbox-embedded-'));
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'test/helpers/embedded-outbox-probe.ts', dataDir],
      { cwd: REPO_ROOT, timeout: 110_000 },
    );
    expect(JSON.parse(stdout)).toEqual({
      applicationName: 'storefront-api',
      rowsAfterApiWrite: 0,
      rowsAfterForeignWrite: [{ type: 'RowChanged', payload: expect.objectContaining({ table: 'category', op: 'UPDATE' }) }],
      published: 1,
      applied: ['Category:1', 'Category:list'],
      unpublished: 0,
      deleted: 1,
    });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}, 120_000);
