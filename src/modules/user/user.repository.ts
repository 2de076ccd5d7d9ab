import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { User } from './user.entity';

export function findUsersByIds(em: SqlEntityManager, ids: readonly number[]): Promise<User[]> {
  return em.find(User, { id: { $in: [...ids] } });
}

/** The user with this email (case-insensitive), with the password hash loaded. */
export function findUserForLogin(em: SqlEntityManager, email: string): Promise<User | null> {
  return em.findOne(User, { email: email.trim().toLowerCase() }, { populate: ['passwordHash'] });
}
