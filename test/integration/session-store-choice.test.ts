/**
 * Where sessions live is chosen once at start and logged: PostgreSQL without SESSION_REDIS_URL
 * (REDIS_URL alone included: the cache's Redis may evict), the session Redis with it, and a
 * warning when no SESSION_SECRET signs its cookies.
 */
import { loadConfig } from '../../src/config';
import type { Logger } from '../../src/server/logger';
import { createSessionStore } from '../../src/server/sessions';
import { TEST_REDIS_URL } from '../helpers/env';

function recordingLogger() {
  const lines: { level: string; message: string; fields?: unknown }[] = [];
  const at = (level: string) => (fields: unknown, message?: string) =>
    lines.push(typeof fields === 'string' ? { level, message: fields } : { level, message: message ?? '', fields });
  return { lines, logger: { info: at('info'), warn: at('warn') } as unknown as Logger };
}

it('keeps sessions in PostgreSQL without a session Redis, even with a cache Redis, and says so', async () => {
  for (const env of [{}, { REDIS_URL: TEST_REDIS_URL }]) {
    const { lines, logger } = recordingLogger();
    const store = createSessionStore({ config: loadConfig(env), cache: undefined, logger });
    expect(store.kind).toBe('postgres');
    expect(lines).toEqual([expect.objectContaining({ level: 'info', message: expect.stringMatching(/sessions: in PostgreSQL/) })]);
    await store.close();
  }
});

it('uses the session Redis when set, and warns when no SESSION_SECRET signs the cookies', async () => {
  const { lines, logger } = recordingLogger();
  const store = createSessionStore({ config: loadConfig({ SESSION_REDIS_URL: TEST_REDIS_URL }), cache: undefined, logger });
  expect(store.kind).toBe('redis');
  expect(lines.map((line) => line.level)).toEqual(['warn', 'info']);
  expect(lines[0]!.message).toMatch(/SESSION_SECRET is not set/);
  expect(lines[1]!.message).toMatch(/sessions: in the session Redis/);
  await store.close();

  const quiet = recordingLogger();
  const signed = createSessionStore({ config: loadConfig({ SESSION_REDIS_URL: TEST_REDIS_URL, SESSION_SECRET: 'a-long-enough-secret' }), cache: undefined, logger: quiet.logger });
  expect(quiet.lines.map((line) => line.level)).toEqual(['info']);
  await signed.close();
});
