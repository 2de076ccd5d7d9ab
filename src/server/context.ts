/**
 * Builds each request's Context: a fresh EntityManager fork, fresh DataLoaders, and the viewer
 * behind the request's bearer token or session cookie.
 */
import type { Request, Response } from 'express';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import type { Orm } from '../db/orm';
import type { EventOutbox } from '../events/outbox';
import { SESSION_COOKIE, type SessionStore } from '../session/session-store';
import type { Context, SessionTransport, Viewer } from '../modules/context';
import { loadEntity, type Loaders } from '../modules/loaders';
import { CacheDebug } from '../cache/cache-debug';
import { createFieldCacheRequest } from '../cache/field-cache';
import { currentRequestScope } from '../cache/request-scope';
import { CACHE_DEBUG_HEADER } from '../cache/response-cache';
import type { TwoTierCache } from '../cache/two-tier-cache';
import type { UserRole } from '../modules/user/user.entity';
import type { LoginThrottle } from '../session/login-throttle';
import { clientAddress } from './client-address';

export { SESSION_COOKIE };

export interface ContextFactoryOptions {
  orm: Orm;
  outbox: EventOutbox;
  config: Pick<Config, 'nodeEnv'>;
  createLoaders: (em: SqlEntityManager) => Loaders;
  /** Where sessions live: token -> signed-in user, sign-in and sign-out. */
  sessions: SessionStore;
  cache: TwoTierCache | undefined;
  purgeCache: () => Promise<{ generation: number }>;
  cachedFieldsOf: (typeName: string) => readonly string[];
  /** Counts failed sign-ins; absent: not throttled. */
  loginThrottle?: LoginThrottle;
  /** Default 0. Proxies trusted to append the client's address to `X-Forwarded-For`. */
  trustProxyHops?: number;
}

export function wantsCacheDebug(req: { headers: Record<string, string | string[] | undefined> }): boolean {
  return req.headers[CACHE_DEBUG_HEADER] === '1';
}

export function createContextFactory(options: ContextFactoryOptions) {
  const { orm, config } = options;
  return async ({ req, res }: { req: Request; res: Response }): Promise<Context> => {
    const em = orm.em.fork() as SqlEntityManager;
    const { sessions } = options;
    const { token, session } = await sessions.resolveRequest(em, req);
    const viewer: Viewer | null = session && { userId: session.userId, role: session.role as UserRole };
    // Keys and tags name users and entities: in production only an ADMIN may see them.
    const scope = currentRequestScope();
    if (scope && wantsCacheDebug(req) && (config.nodeEnv !== 'production' || viewer?.role === 'ADMIN')) scope.debug = new CacheDebug();
    return contextFor(options, em, viewer, {
      token,
      address: clientAddress(req, options.trustProxyHops ?? 0),
      signIn: (user) => sessions.start(em, user, { req, res }),
      signOut: () => sessions.clearCookie({ req, res }),
    });
  };
}

/** One context: a fresh EntityManager fork's loaders and field cache, for `viewer`. */
function contextFor(options: ContextFactoryOptions, em: SqlEntityManager, viewer: Viewer | null, transport: SessionTransport | null): Context {
  const loaders = options.createLoaders(em);
  return {
    em,
    loaders,
    fieldCache: options.cache && createFieldCacheRequest(options.cache, viewer?.userId, (typeName, id) => loadEntity(loaders, typeName, id)),
    viewer,
    outbox: options.outbox,
    purgeCache: options.purgeCache,
    cachedFieldsOf: options.cachedFieldsOf,
    sessions: options.sessions,
    loginThrottle: options.loginThrottle,
    auditNotes: [],
    transport,
  };
}

/**
 * For one execution of a live subscription: as fresh as a request's (its own fork, loaders and
 * field cache), with no HTTP transport.
 */
export function createLiveContextFactory(options: ContextFactoryOptions): (viewer: Viewer | null) => Context {
  return (viewer) => contextFor(options, options.orm.em.fork() as SqlEntityManager, viewer, null);
}
