import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, UnauthenticatedError } from '../../errors';
import { decoyHash, hashPassword, verifyPassword } from '../../session/password';
import type { EventOutbox } from '../../events/outbox';
import type { DomainEvent } from '../../events/domain-events';
import { hashToken } from '../../session/sessions';
import type { SessionStore } from '../../session/session-store';
import { requireNoNul } from '../common/validate';
import type { User } from './user.entity';
import { findUserForLogin } from './user.repository';

const WRONG_CREDENTIALS = 'That email and password do not match an account. Check both and try again.';

/** Checks the credentials. The same answer for an unknown email and a wrong password. */
export async function checkCredentials(em: SqlEntityManager, email: string, password: string): Promise<User> {
  // No stored email holds a NUL (and PostgreSQL refuses one in a query): an unknown account.
  const user = email.includes('\u0000') ? null : await findUserForLogin(em, email);
  const valid = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
  if (!user || !valid) throw new UnauthenticatedError(WRONG_CREDENTIALS);
  return user;
}

/**
 * Ends `ids` (sessions of `userId`) and records one `SessionEnded` per session that was live,
 * in one transaction (with `alsoInTransaction`'s writes), then publishes them: once this
 * returns, every instance refuses the tokens, has dropped the user's PRIVATE entries and has
 * ended the sessions' private subscriptions. Answers how many sessions ended.
 */
export async function endSessions(
  em: SqlEntityManager,
  outbox: EventOutbox,
  sessions: SessionStore,
  userId: number,
  ids: readonly string[],
  alsoInTransaction?: (tx: SqlEntityManager) => Promise<void>,
): Promise<number> {
  const endedEvent = (sessionId: string) => ({ type: 'SessionEnded' as const, sessionId, userId });
  if (ids.length === 1 && !alsoInTransaction && sessions.endOneRecorded) {
    const events = [endedEvent(ids[0]!)];
    const rowIds = await sessions.endOneRecorded(em, userId, ids[0]!, outbox.recordsOf(events));
    if (rowIds.length > 0) await outbox.publish(outbox.recorded(rowIds, events));
    return rowIds.length;
  }
  let events: DomainEvent[] = [];
  const write = await em.transactional(async (tx) => {
    await alsoInTransaction?.(tx);
    const ended = await sessions.end(tx, userId, ids);
    events = ended.map(endedEvent);
    return outbox.record(tx, events);
  });
  if (events.length > 0) await outbox.publish(write);
  return events.length;
}

/** Ends the session behind `token` (of `userId`). */
export function logout(em: SqlEntityManager, outbox: EventOutbox, sessions: SessionStore, userId: number, token: string): Promise<number> {
  return endSessions(em, outbox, sessions, userId, [hashToken(token)]);
}

/** Ends every session of `userId`, the caller's own included. */
export async function logoutEverywhere(em: SqlEntityManager, outbox: EventOutbox, sessions: SessionStore, userId: number): Promise<number> {
  return endSessions(em, outbox, sessions, userId, await sessions.sessionsOf(em, userId));
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 200;

/**
 * Sets a new password once the current one is proven, and ends every other session of the
 * user (the one `keepToken` names stays). Answers how many sessions ended.
 */
export async function changePassword(
  em: SqlEntityManager,
  outbox: EventOutbox,
  sessions: SessionStore,
  user: User,
  input: { currentPassword: string; newPassword: string; keepToken: string | null },
): Promise<number> {
  const newPassword = requireNoNul(input.newPassword, 'newPassword');
  if (newPassword.length < PASSWORD_MIN || newPassword.length > PASSWORD_MAX) {
    throw new BadUserInputError(`"newPassword" must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long; choose another.`, { field: 'newPassword' });
  }
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    throw new BadUserInputError('"currentPassword" is not this account\'s password; enter the one you sign in with (or reset it).', {
      field: 'currentPassword',
    });
  }
  const passwordHash = await hashPassword(newPassword);
  const keep = input.keepToken ? hashToken(input.keepToken) : undefined;
  const others = (await sessions.sessionsOf(em, user.id)).filter((id) => id !== keep);
  return endSessions(em, outbox, sessions, user.id, others, async (tx) => {
    await tx.execute('update app_user set password_hash = ? where id = ?', [passwordHash, user.id]);
  });
}
