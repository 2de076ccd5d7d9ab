/**
 * What every resolver receives. Built per request by the server's context factory.
 */
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { FieldCacheRequest } from '../cache/field-cache';
import type { EventOutbox } from '../events/outbox';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import type { LoginThrottle } from '../session/login-throttle';
import type { SessionStore, SessionUserRef } from '../session/session-store';
import type { StartedSession } from '../session/sessions';
import type { Loaders } from './loaders';
import type { UserRole } from './user/user.entity';

export interface Viewer {
  userId: number;
  role: UserRole;
}

/** HTTP-only abilities; absent over WebSockets. */
export interface SessionTransport {
  /** The token the request came with (bearer or cookie), if any. */
  token: string | null;
  /** Starts a session for `user` under a new id, its cookie set on the answer. */
  signIn(user: SessionUserRef): Promise<StartedSession>;
  /** Clears the session cookie. */
  signOut(): Promise<void>;
  /** The client's address (see TRUST_PROXY_HOPS), for sign-in throttling and the audit log. */
  address?: string;
}

/** A sign-in or sign-out, noted by its resolver for the audit log; never a password or token. */
export type AuditNote =
  | { event: 'sign-in'; userId: number }
  | { event: 'sign-in-failed'; email: string; code: string }
  | { event: 'sign-out'; userId: number | null }
  | { event: 'sign-out-everywhere'; userId: number; sessionsEnded: number }
  | { event: 'password-changed'; userId: number; sessionsEnded: number }
  | { event: 'password-change-failed'; userId: number; code: string };

export interface Context {
  /** This request's own EntityManager fork; never the global one. */
  em: SqlEntityManager;
  loaders: Loaders;
  /** The signed-in user, or null. */
  viewer: Viewer | null;
  /** Records a write's events in its transaction, and publishes them once it has committed. */
  outbox: EventOutbox;
  /** Where sessions live (PostgreSQL or the session Redis). */
  sessions: SessionStore;
  transport: SessionTransport | null;
  /** Per-request state of field caching; absent when the cache is off. */
  fieldCache?: FieldCacheRequest;
  /** Empties the cache on every instance; answers the new key generation. */
  purgeCache: () => Promise<{ generation: number }>;
  /** The fields of `typeName` that carry `@cached` (for invalidating one entity's entries). */
  cachedFieldsOf: (typeName: string) => readonly string[];
  /** Counts failed sign-ins and refuses brute force (absent: no throttling, e.g. in-process calls). */
  loginThrottle?: LoginThrottle;
  /** Where resolvers note sign-ins and sign-outs for the audit log (absent: not audited). */
  auditNotes?: AuditNote[];
}

export function requireViewer(context: Context): Viewer {
  if (!context.viewer) throw new UnauthenticatedError();
  return context.viewer;
}

export function requireAdmin(context: Context): Viewer {
  const viewer = requireViewer(context);
  if (viewer.role !== 'ADMIN') throw new ForbiddenError('Only back-office users (role ADMIN) may do this; sign in as one.');
  return viewer;
}
