/**
 * Builds the MikroORM instance for one database URL and counts every SQL statement the driver
 * sends, so tests can assert exact statement counts and metrics can report them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { MikroORM, type EntitySchema, type Options } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { migrationsList } from './migrations';

export type Orm = MikroORM<PostgreSqlDriver>;

/**
 * The `application_name` of the API's connections. The outbox triggers (see the outbox
 * migration, which spells it out) skip writes made under it: the API records its own domain
 * events. psql, imports and other services connect under other names, and their writes are
 * recorded by the triggers.
 */
export const API_APPLICATION_NAME = 'storefront-api';

/**
 * Counts statements as the driver executes them (BEGIN and COMMIT included). Statements run
 * inside `background()` (the outbox relay's polls, on their own clock) are counted apart, so
 * `total` is what requests and the writes they make cost, whenever a poll happens to run.
 */
export class SqlStatementCounter {
  private count = 0;
  private backgroundCount = 0;
  private readonly listeners = new Map<(sql: string) => void, { background: boolean }>();
  private readonly inBackground = new AsyncLocalStorage<true>();

  get total(): number {
    return this.count;
  }

  /** Statements sent by background work (see `background`). */
  get backgroundTotal(): number {
    return this.backgroundCount;
  }

  /**
   * Called for each statement counted in `total` and, with `background: true`, for background
   * ones too; returns a function that removes the listener.
   */
  onStatement(listener: (sql: string) => void, options: { background?: boolean } = {}): () => void {
    this.listeners.set(listener, { background: options.background ?? false });
    return () => this.listeners.delete(listener);
  }

  /** Runs `work`, counting the statements it sends in `backgroundTotal` rather than `total`. */
  background<T>(work: () => Promise<T>): Promise<T> {
    return this.inBackground.run(true, work);
  }

  record(sql: string): void {
    const background = this.inBackground.getStore() === true;
    if (background) this.backgroundCount += 1;
    else this.count += 1;
    for (const [listener, options] of this.listeners) if (!background || options.background) listener(sql);
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
  /** Default `API_APPLICATION_NAME`. What the connections call themselves (`pg_stat_activity`, the outbox triggers). */
  applicationName?: string;
  /**
   * Default false. The database is the embedded PGlite, which ignores the `application_name`
   * a client sends when it connects: each new connection sets it with one statement instead.
   */
  embedded?: boolean;
}

export interface Database {
  orm: Orm;
  sql: SqlStatementCounter;
  close(): Promise<void>;
}

interface RawConnection {
  query(sql: string, callback: (error: Error | null) => void): void;
}

export function ormOptions(options: CreateOrmOptions): Options<PostgreSqlDriver> {
  const applicationName = options.applicationName ?? API_APPLICATION_NAME;
  // Once per connection, not per request: the pool keeps connections open.
  const afterCreate = (connection: RawConnection, done: (error: Error | null, connection: RawConnection) => void) =>
    connection.query(`set application_name = '${applicationName.replace(/'/g, "''")}'`, (error) => done(error, connection));
  return {
    driver: PostgreSqlDriver,
    clientUrl: options.clientUrl,
    entities: options.entities,
    extensions: [Migrator],
    // The name travels in the startup message, so it costs no statement on a real server.
    driverOptions: { connection: { application_name: applicationName } },
    pool: { min: 0, max: options.poolMax ?? 10, ...(options.embedded ? { afterCreate } : {}) },
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
