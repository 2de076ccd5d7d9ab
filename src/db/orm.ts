/**
 * Builds the MikroORM instance for one database URL and counts every SQL statement the driver
 * sends, so tests can assert exact statement counts and metrics can report them.
 */
import { MikroORM, type EntitySchema, type Options } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from './migrations';

export type Orm = MikroORM<PostgreSqlDriver>;

/** Counts statements as the driver executes them (BEGIN and COMMIT included). */
export class SqlStatementCounter {
  private count = 0;
  private readonly listeners = new Set<(sql: string) => void>();

  get total(): number {
    return this.count;
  }

  /** Called for each statement; returns a function that removes the listener. */
  onStatement(listener: (sql: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  record(sql: string): void {
    this.count += 1;
    for (const listener of this.listeners) listener(sql);
  }
}

export interface CreateOrmOptions {
  clientUrl: string;
  // Schemas of different entity types share no common type argument; `any` is the honest one.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  entities: EntitySchema<any>[];
  /** Default 10. */
  poolMax?: number;
  /** Default false. Logs every statement through MikroORM's logger. */
  debug?: boolean;
}

export interface Database {
  orm: Orm;
  sql: SqlStatementCounter;
  close(): Promise<void>;
}

export function ormOptions(options: CreateOrmOptions): Options<PostgreSqlDriver> {
  return {
    driver: PostgreSqlDriver,
    clientUrl: options.clientUrl,
    entities: options.entities,
    extensions: [Migrator],
    pool: { min: 0, max: options.poolMax ?? 10 },
    debug: options.debug ?? false,
    // Metadata comes from the EntitySchema definitions; nothing is discovered from disk.
    discovery: { warnWhenNoEntities: true },
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false, silent: true },
    // Resolvers fork the EntityManager per request; the global one must never be used.
    allowGlobalContext: false,
    forceUtcTimezone: true,
  };
}

export async function createDatabase(options: CreateOrmOptions): Promise<Database> {
  const orm = await MikroORM.init(ormOptions(options));
  const sql = new SqlStatementCounter();
  orm.em
    .getConnection()
    .getKnex()
    .on('query', (query: { sql: string }) => sql.record(query.sql));
  return { orm, sql, close: () => orm.close(true) };
}

/** Applies every pending migration; safe to run at each start. */
export async function migrate(orm: Orm): Promise<void> {
  await orm.getMigrator().up();
}
