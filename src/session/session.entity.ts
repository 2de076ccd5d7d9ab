import { EntitySchema } from '@mikro-orm/core';

/**
 * A signed-in session. Only a SHA-256 of the token is stored, so a leaked table does not let
 * anyone sign in.
 */
export class Session {
  /** Hex SHA-256 of the bearer token. */
  id!: string;
  userId!: number;
  createdAt!: Date;
  expiresAt!: Date;
}

export const SessionSchema = new EntitySchema<Session>({
  class: Session,
  tableName: 'session',
  properties: {
    id: { type: 'string', length: 64, primary: true },
    userId: { type: 'integer', index: true },
    createdAt: { type: 'datetime', onCreate: () => new Date() },
    expiresAt: { type: 'datetime' },
  },
});
