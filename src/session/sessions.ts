/**
 * Opaque bearer sessions stored in PostgreSQL. The client holds a random token; the table
 * holds only its SHA-256, the user and the expiry.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { outboxInsert, type OutboxRecord } from '../events/outbox';
import { Session } from './session.entity';

export interface StartedSession {
  token: string;
  expiresAt: Date;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function startSession(em: SqlEntityManager, userId: number, ttlSeconds: number): Promise<StartedSession> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await em.insert(Session, { id: hashToken(token), userId, createdAt: new Date(), expiresAt });
  return { token, expiresAt };
}

export interface SessionUser {
  userId: number;
  role: string;
}

/** A session that has not expired: its user, and when it ends. */
export interface LiveSession extends SessionUser {
  /** Epoch ms. */
  expiresAt: number;
}

/** The live session with this token hash (one statement), or null for an unknown or expired one. */
export async function readSession(em: SqlEntityManager, id: string): Promise<LiveSession | null> {
  const rows = await em.getConnection().execute<{ user_id: number; role: string; expires_at: Date }[]>(
    `select s.user_id, u.role, s.expires_at from session s join app_user u on u.id = s.user_id
     where s.id = ? and s.expires_at > now()`,
    [id],
  );
  const row = rows[0];
  return row ? { userId: row.user_id, role: row.role, expiresAt: new Date(row.expires_at).getTime() } : null;
}

/**
 * Deletes session `id` (of `userId`) and, in the same statement, only if there was one, writes
 * `records` (its end) to the outbox. Returns the outbox rows' ids: none when there was no session.
 */
export async function endSession(em: SqlEntityManager, userId: number, id: string, records: readonly OutboxRecord[]): Promise<string[]> {
  const event = outboxInsert(records, 'ended');
  const rows = await em.execute<{ id: string }[]>(
    `with ended as (delete from session where id = ? and user_id = ? returning id), event as (${event.sql}) select id from event`,
    [id, userId, ...event.params],
  );
  return rows.map((row) => String(row.id));
}

/** Reads the token from `Authorization: Bearer <token>`, or failing that from the cookie. */
export function tokenFromRequest(authorization: string | undefined, cookieToken: string | undefined): string | null {
  if (authorization) {
    const match = /^Bearer\s+([A-Za-z0-9_-]{20,100})$/.exec(authorization.trim());
    return match ? match[1]! : null;
  }
  return cookieToken && /^[A-Za-z0-9_-]{20,100}$/.test(cookieToken) ? cookieToken : null;
}
