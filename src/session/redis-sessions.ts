/**
 * Sessions in a Redis of their own (`SESSION_REDIS_URL`, noeviction and append-only), so that
 * cache evictions, cache purges and API restarts never end one.
 *
 * Browsers get express-session's signed cookie (`sid`); other clients send the same session's
 * id as `Authorization: Bearer <token>`. Both reach one record through connect-redis's store,
 * under the SHA-256 of the id (`<prefix>:<hash>`), so a dump of the session Redis holds no
 * usable token. Each user's session ids are also kept in a set (`<prefix>:user:<id>`), which is
 * how `logoutEverywhere` and `changePassword` find them; no script touches a session key and
 * the set together, so they need not share a hash slot in a Redis Cluster.
 *
 * Expiry slides: every request renews the key's TTL to `ttlSeconds`, never past
 * `absoluteTtlSeconds` after sign-in, when the session ends however active.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type Redis from 'ioredis';
import { closeRedis } from '../redis/clients';
import session, { Store, type SessionData } from 'express-session';
import RedisStore from 'connect-redis';
import { parse as parseCookie } from 'cookie';
import type { Request } from 'express';
import { hashToken, tokenFromRequest } from './sessions';
import { SESSION_COOKIE, type SessionRecord, type SessionStore } from './session-store';

declare module 'express-session' {
  interface SessionData {
    userId: number;
    role: string;
    /** Epoch ms of the sign-in: the absolute limit counts from it. */
    signedInAt: number;
  }
}

export interface RedisSessionStoreOptions {
  /** A client made with `createSessionClient`. Closed by `close()`. */
  client: Redis;
  /** Key prefix (no trailing colon). */
  prefix: string;
  /** Sliding expiry. */
  ttlSeconds: number;
  /** No session lives longer than this after sign-in. */
  absoluteTtlSeconds: number;
  /** The first signs cookies; all verify (rotation). */
  secrets: readonly string[];
  cookieSecure: boolean;
}

/** Hands connect-redis the hash of every session id, so Redis never holds a token. */
class HashedStore extends Store {
  constructor(private readonly inner: RedisStore) {
    super();
  }
  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    void this.inner.get(hashToken(sid), callback);
  }
  override set(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    void this.inner.set(hashToken(sid), data, callback);
  }
  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    void this.inner.destroy(hashToken(sid), callback);
  }
  override touch(sid: string, data: SessionData, callback?: () => void): void {
    void this.inner.touch(hashToken(sid), data, callback);
  }
}

const newToken = () => randomBytes(32).toString('base64url');

function callbackToPromise(run: (done: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((err) => (err ? reject(err) : resolve())));
}

export function createRedisSessionStore(options: RedisSessionStoreOptions): SessionStore {
  const { client, prefix } = options;
  const keyOf = (id: string) => `${prefix}:${id}`;
  const userKey = (userId: number) => `${prefix}:user:${userId}`;
  /** Seconds left: the sliding TTL, cut at the absolute limit (0 or less: over). */
  const ttlOf = (data: Partial<SessionData>) => {
    const absoluteLeft = Math.floor(((data.signedInAt ?? 0) + options.absoluteTtlSeconds * 1000 - Date.now()) / 1000);
    return Math.min(options.ttlSeconds, absoluteLeft);
  };
  const redisStore = new RedisStore({ client, prefix: `${prefix}:`, ttl: (data) => ttlOf(data) });
  const store = new HashedStore(redisStore);
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: options.cookieSecure, path: '/' };
  const middleware = session({
    name: SESSION_COOKIE,
    secret: [...options.secrets],
    store,
    genid: newToken,
    resave: false,
    saveUninitialized: false,
    // Each answer renews the cookie as the key's TTL is renewed: the same sliding expiry.
    rolling: true,
    unset: 'destroy',
    cookie: { ...cookie, maxAge: options.ttlSeconds * 1000 },
  });

  const unsign = (value: string): string | null => {
    if (!value.startsWith('s:')) return null;
    const signed = value.slice(2);
    const dot = signed.lastIndexOf('.');
    if (dot < 0) return null;
    const id = signed.slice(0, dot);
    const given = Buffer.from(signed.slice(dot + 1));
    for (const secret of options.secrets) {
      const expected = Buffer.from(createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, ''));
      if (expected.length === given.length && timingSafeEqual(expected, given)) return id;
    }
    return null;
  };

  const remember = async (userId: number, id: string) => {
    await client.multi().sadd(userKey(userId), id).expire(userKey(userId), options.absoluteTtlSeconds).exec();
  };

  /** The record of a session read from Redis, or null when it is malformed or past its absolute limit. */
  const recordOf = async (id: string, data: Partial<SessionData>, touch: boolean): Promise<SessionRecord | null> => {
    if (typeof data.userId !== 'number' || typeof data.role !== 'string') return null;
    const left = ttlOf(data);
    if (left <= 0) {
      await client.del(keyOf(id));
      return null;
    }
    // EXPIRE on a key a sign-out deleted meanwhile does nothing: it cannot bring it back.
    if (touch) await client.expire(keyOf(id), left);
    return { id, userId: data.userId, role: data.role, expiresAt: Date.now() + left * 1000 };
  };

  const sessionStore: SessionStore = {
    kind: 'redis',
    middleware,
    tokenFromCookie: (value) => (value ? unsign(value) : null),
    tokenOf(req) {
      const fromCookie = sessionStore.tokenFromCookie(parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE]);
      return tokenFromRequest(req.headers.authorization, fromCookie ?? undefined);
    },
    async resolve(_em, token, resolveOptions = {}) {
      const id = hashToken(token);
      const raw = await client.get(keyOf(id));
      return raw ? recordOf(id, JSON.parse(raw) as Partial<SessionData>, resolveOptions.touch ?? true) : null;
    },
    async resolveRequest(em, req) {
      const token = sessionStore.tokenOf(req);
      if (!token) return { token, session: null };
      const loaded = (req as Request & { session?: Partial<SessionData> }).session;
      // express-session read this cookie's session already, and renews it as it answers.
      if (loaded?.userId !== undefined && req.sessionID === token) return { token, session: await recordOf(hashToken(token), loaded, false) };
      return { token, session: await sessionStore.resolve(em, token) };
    },
    async start(_em, user, http) {
      const fields = { userId: user.id, role: user.role, signedInAt: Date.now() };
      let token: string;
      const req = http?.req as (Request & { session?: session.Session & Partial<SessionData> }) | undefined;
      if (req?.session) {
        // A new id, and the one the request came with (if any) destroyed: no fixation.
        const request = req;
        await callbackToPromise((done) => request.session!.regenerate(done));
        Object.assign(request.session!, fields);
        await callbackToPromise((done) => request.session!.save(done));
        token = request.sessionID;
      } else {
        token = newToken();
        await callbackToPromise((done) =>
          store.set(token, { ...fields, cookie: { originalMaxAge: options.ttlSeconds * 1000, ...cookie } } as unknown as SessionData, done),
        );
      }
      await remember(user.id, hashToken(token));
      return { token, expiresAt: new Date(Date.now() + ttlOf(fields) * 1000) };
    },
    async clearCookie(http) {
      const req = http.req as Request & { session?: session.Session };
      // Else express-session would set the cookie again as it answers (rolling).
      if (req.session) await callbackToPromise((done) => req.session!.destroy(done));
      http.res.clearCookie(SESSION_COOKIE, cookie);
    },
    async sessionsOf(_em, userId) {
      const ids = await client.smembers(userKey(userId));
      if (ids.length === 0) return [];
      const live = await client.mget(ids.map(keyOf));
      const gone = ids.filter((_id, i) => live[i] === null);
      if (gone.length > 0) await client.srem(userKey(userId), ...gone);
      return ids.filter((_id, i) => live[i] !== null);
    },
    async end(_em, userId, ids) {
      if (ids.length === 0) return [];
      // One DEL per key: session keys hash to different slots in a cluster.
      const pipeline = client.pipeline();
      for (const id of ids) pipeline.del(keyOf(id));
      pipeline.srem(userKey(userId), ...ids);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
      return ids.filter((_id, i) => results[i]?.[1] === 1);
    },
    close: () => closeRedis(client),
  };
  return sessionStore;
}
