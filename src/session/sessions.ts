/**
 * Opaque bearer sessions stored in PostgreSQL. The client holds a random token; the table
 * holds only its SHA-256, the user and the expiry.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
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

/** The user behind a live token (one statement), or null for an unknown or expired token. */
export async function resolveSession(em: SqlEntityManager, token: string): Promise<SessionUser | null> {
  const rows = await em.getConnection().execute<{ user_id: number; role: string }[]>(
    `select s.user_id, u.role from session s join app_user u on u.id = s.user_id
     where s.id = ? and s.expires_at > now()`,
    [hashToken(token)],
  );
  const row = rows[0];
  return row ? { userId: row.user_id, role: row.role } : null;
}

export async function endSession(em: SqlEntityManager, token: string): Promise<void> {
  await em.nativeDelete(Session, { id: hashToken(token) });
}

/** Reads the token from `Authorization: Bearer <token>`, or failing that from the cookie. */
export function tokenFromRequest(authorization: string | undefined, cookieToken: string | undefined): string | null {
  if (authorization) {
    const match = /^Bearer\s+([A-Za-z0-9_-]{20,100})$/.exec(authorization.trim());
    return match ? match[1]! : null;
  }
  return cookieToken && /^[A-Za-z0-9_-]{20,100}$/.test(cookieToken) ? cookieToken : null;
}
