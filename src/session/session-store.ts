/**
 * The one seam between the API and wherever sessions live: PostgreSQL (the default, read
 * through the cache when there is one) or a Redis of their own (`SESSION_REDIS_URL`, see
 * `redis-sessions.ts`). Resolvers, the context factory and the live server only see this.
 *
 * A session's id is the SHA-256 of its token, in both stores: the token itself is never stored,
 * and the id is what `SessionEnded` events and `session:<id>` live topics name.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { parse as parseCookie } from 'cookie';
import type { SessionResolver } from './session-cache';
import type { OutboxRecord } from '../events/outbox';
import { endSession, hashToken, startSession, tokenFromRequest, type StartedSession } from './sessions';

/** The session cookie's name, as before the move: browsers signed in keep their cookie's name. */
export const SESSION_COOKIE = 'sid';

/** A live session. */
export interface SessionRecord {
  /** The token's SHA-256 (hex). */
  id: string;
  userId: number;
  role: string;
  /** Epoch ms: when it ends unless used again (sliding) or for good (absolute, fixed expiry). */
  expiresAt: number;
}

export interface SessionUserRef {
  id: number;
  role: string;
}

/** The HTTP exchange a sign-in happens in: its cookie is set on `res`. */
export interface SessionHttp {
  req: Request;
  res: Response;
}

export interface SessionStore {
  readonly kind: 'postgres' | 'redis';
  /** Mounted before GraphQL on HTTP (express-session with the Redis store); none for PostgreSQL. */
  readonly middleware: RequestHandler | undefined;
  /** The token a session cookie's value carries, or null for a missing, malformed or forged one. */
  tokenFromCookie(value: string | undefined): string | null;
  /** The token of an HTTP request: `Authorization: Bearer`, else the session cookie. */
  tokenOf(req: Pick<Request, 'headers'>): string | null;
  /**
   * The live session behind `token`, or null. `touch` (default true) renews a sliding expiry;
   * `fresh` skips any cache (the live server needs a session's end, which the cache drops).
   */
  resolve(em: SqlEntityManager, token: string, options?: { touch?: boolean; fresh?: boolean }): Promise<SessionRecord | null>;
  /** An HTTP request's token and its live session (renewed), after `middleware` ran. */
  resolveRequest(em: SqlEntityManager, req: Request): Promise<{ token: string | null; session: SessionRecord | null }>;
  /**
   * Starts a session for `user` under a new id (never one the request came with: no fixation),
   * and sets its cookie on `http.res` when given.
   */
  start(em: SqlEntityManager, user: SessionUserRef, http?: SessionHttp): Promise<StartedSession>;
  /** Clears the session cookie (and forgets the request's browser session, so nothing renews it). */
  clearCookie(http: SessionHttp): Promise<void>;
  /** The ids of `userId`'s live sessions. */
  sessionsOf(em: SqlEntityManager, userId: number): Promise<string[]>;
  /**
   * Ends the sessions with these ids (of `userId`); answers those that were live. Inside `em`'s
   * transaction for PostgreSQL; at once for Redis.
   */
  end(em: SqlEntityManager, userId: number, ids: readonly string[]): Promise<string[]>;
  /**
   * PostgreSQL only: ends session `id` and writes `records` to the outbox in one statement, only
   * if it was live; answers the outbox rows' ids. (A sign-out costs one statement, as before.)
   */
  readonly endOneRecorded?: (em: SqlEntityManager, userId: number, id: string, records: readonly OutboxRecord[]) => Promise<string[]>;
  close(): Promise<void>;
}

export interface PostgresSessionStoreOptions {
  /** Token -> session, through the cache when there is one. */
  resolveSession: SessionResolver;
  /** Lifetime of a session from its sign-in (fixed). */
  ttlSeconds: number;
  cookieSecure: boolean;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{20,100}$/;

/** Sessions in the `session` table, behind an unsigned cookie holding the token (as before the move). */
export function createPostgresSessionStore(options: PostgresSessionStoreOptions): SessionStore {
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: options.cookieSecure, path: '/' };
  const store: SessionStore = {
    kind: 'postgres',
    middleware: undefined,
    tokenFromCookie: (value) => (value && TOKEN_PATTERN.test(value) ? value : null),
    tokenOf: (req) => tokenFromRequest(req.headers.authorization, store.tokenFromCookie(parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE]) ?? undefined),
    async resolve(em, token, resolveOptions = {}) {
      const session = await options.resolveSession(em, token, { fresh: resolveOptions.fresh });
      return session && { id: hashToken(token), userId: session.userId, role: session.role, expiresAt: session.expiresAt };
    },
    async resolveRequest(em, req) {
      const token = store.tokenOf(req);
      return { token, session: token ? await store.resolve(em, token) : null };
    },
    async start(em, user, http) {
      const started = await startSession(em, user.id, options.ttlSeconds);
      http?.res.cookie(SESSION_COOKIE, started.token, { ...cookieOptions, expires: started.expiresAt });
      return started;
    },
    clearCookie: async ({ res }) => {
      res.clearCookie(SESSION_COOKIE, cookieOptions);
    },
    async sessionsOf(em, userId) {
      const rows = await em.execute<{ id: string }[]>('select id from session where user_id = ? and expires_at > now()', [userId]);
      return rows.map((row) => row.id);
    },
    async end(em, userId, ids) {
      if (ids.length === 0) return [];
      const rows = await em.execute<{ id: string }[]>(`delete from session where user_id = ? and id in (${ids.map(() => '?').join(', ')}) returning id`, [
        userId,
        ...ids,
      ]);
      return rows.map((row) => row.id);
    },
    endOneRecorded: endSession,
    close: async () => undefined,
  };
  return store;
}
