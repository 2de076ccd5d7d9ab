/**
 * Resolves bearer tokens through the two-tier cache, so a signed-in request does not cost a
 * PostgreSQL round trip once its session is known: L1, then Redis, then the `session` table.
 *
 * Signing out must still take effect everywhere before `logout` answers. The entry carries the
 * tag `Session:<token hash>`; `logout` publishes `SessionEnded` after its DELETE commits, and the
 * cache drops the tag on every instance the way it drops any write's tags (acknowledged, and a
 * fill that raced the sign-out is refused). Expiry is checked on every read as well, and an
 * entry never outlives its session. Unknown tokens are not cached, so guessing tokens cannot
 * fill the cache, and a new session works at once.
 *
 * A user's role is kept with the session for the entry's lifetime (`ttlSeconds`). No operation
 * changes roles today; the entry is also filed under `User:<id>:sessions`, which a role changed
 * in the database by hand drops (see `modules/invalidation.ts`), as must any operation that
 * changes roles one day.
 */
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { entityTag, relationTag } from '../cache/keys';
import type { TwoTierCache } from '../cache/two-tier-cache';
import { hashToken, readSession, type LiveSession } from './sessions';

export interface SessionResolverOptions {
  /** Absent (cache disabled): every request reads the table. */
  cache: TwoTierCache | undefined;
  /** Default 60. The longest a session is trusted from the cache before it is read again. */
  ttlSeconds?: number;
}

/** The cache's name for sessions: keys `…:e:Session:<hash>`, tag `Session:<hash>`. */
export const SESSION_TYPE = 'Session';

/** The tag of every cached session of a user: they hold the user's role. */
export function userSessionsTag(userId: number | string): string {
  return relationTag('User', userId, 'sessions');
}

/** `fresh`: read the table, not the cache (for a caller that must see a session's end at once). */
export type SessionResolver = (em: SqlEntityManager, token: string, options?: { fresh?: boolean }) => Promise<LiveSession | null>;

export function createSessionResolver(options: SessionResolverOptions): SessionResolver {
  const { cache } = options;
  const ttlSeconds = options.ttlSeconds ?? 60;
  return async (em, token, resolveOptions) => {
    const id = hashToken(token);
    if (!cache || resolveOptions?.fresh) return readSession(em, id);
    const key = cache.keys.entity(SESSION_TYPE, id);
    const tags = [entityTag(SESSION_TYPE, id)];
    const { entries, token: fillToken } = await cache.lookup(SESSION_TYPE, [key], tags);
    const cached = entries[0]?.value as LiveSession | undefined;
    if (cached && cached.expiresAt > Date.now()) return cached;
    const session = await readSession(em, id);
    if (!session) return null;
    const secondsLeft = Math.floor((session.expiresAt - Date.now()) / 1000);
    if (secondsLeft >= 1) {
      void cache.fill(
        [
          {
            key,
            value: session,
            tags: [...tags, userSessionsTag(session.userId)],
            lifetime: { ttl: Math.min(ttlSeconds, secondsLeft), staleWhileRevalidate: 0 },
            checkTags: tags,
          },
        ],
        fillToken,
      );
    }
    return session;
  };
}
