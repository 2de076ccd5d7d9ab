import { EntitySchema } from '@mikro-orm/core';

export type UserRole = 'CUSTOMER' | 'ADMIN';

/** A shopper, or a back-office user when `role` is ADMIN. */
export class User {
  id!: number;
  name!: string;
  email!: string;
  /** scrypt, in the self-describing format of `session/password.ts`; never leaves the server. */
  passwordHash!: string;
  role!: UserRole;
  createdAt!: Date;
}

export const UserSchema = new EntitySchema<User>({
  class: User,
  // `user` is a reserved word in PostgreSQL.
  tableName: 'app_user',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    name: { type: 'string', length: 120 },
    email: { type: 'string', length: 254, unique: true },
    passwordHash: { type: 'string', length: 255, hidden: true, lazy: true },
    role: { type: 'string', length: 16 },
    createdAt: { type: 'datetime', onCreate: () => new Date() },
  },
});
