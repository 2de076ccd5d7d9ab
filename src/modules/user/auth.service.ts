import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { UnauthenticatedError } from '../../errors';
import { decoyHash, verifyPassword } from '../../session/password';
import type { EventOutbox } from '../../events/outbox';
import { endSession, hashToken, startSession, type StartedSession } from '../../session/sessions';
import type { User } from './user.entity';
import { findUserForLogin } from './user.repository';

const WRONG_CREDENTIALS = 'That email and password do not match an account. Check both and try again.';

/** Checks the credentials and starts a session. The same answer for an unknown email and a wrong password. */
export async function login(
  em: SqlEntityManager,
  email: string,
  password: string,
  ttlSeconds: number,
): Promise<{ user: User; session: StartedSession }> {
  // No stored email holds a NUL (and PostgreSQL refuses one in a query): an unknown account.
  const user = email.includes('\u0000') ? null : await findUserForLogin(em, email);
  const valid = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
  if (!user || !valid) throw new UnauthenticatedError(WRONG_CREDENTIALS);
  const session = await startSession(em, user.id, ttlSeconds);
  return { user, session };
}

/**
 * Ends the session behind `token`, recording `SessionEnded` in the outbox in the same
 * statement, then (committed) publishes it, so no instance's cache keeps accepting the token
 * once this returns.
 */
export async function logout(em: SqlEntityManager, outbox: EventOutbox, token: string): Promise<void> {
  const events = [{ type: 'SessionEnded' as const, sessionId: hashToken(token) }];
  const ids = await endSession(em, token, outbox.recordsOf(events));
  if (ids.length > 0) await outbox.publish(outbox.recorded(ids, events));
}
