/**
 * Starts the real app (Express + Apollo over HTTP) on a free port against a fresh, migrated and
 * seeded database, and gives tests a small client that speaks GraphQL over HTTP. With
 * `redis: true` the app uses the test Redis under a key prefix of its own, and
 * `startInstance()` adds another instance (its own L1, its own connections) sharing the same
 * database and Redis, as a second process of a deployment would.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config';
import { createDatabase, migrate, type Database } from '../../src/db/orm';
import { seed } from '../../src/db/seed/seed';
import { SEED_PASSWORD, type Dataset, type DatasetSize } from '../../src/db/seed/dataset';
import { InProcessEventBus, type EventBus } from '../../src/events/bus';
import type { DomainEvent } from '../../src/events/domain-events';
import { entities } from '../../src/modules';
import { hashPassword } from '../../src/session/password';
import { createApp, type App } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { createTestDatabase, type TestDatabase } from './database';
import { TEST_REDIS_URL } from './env';

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: {
    data?: T;
    errors?: { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }[];
    extensions?: Record<string, any>;
  };
}

/** One running instance of the API. */
export interface TestInstance {
  url: string;
  app: App;
  config: Config;
  database: Database;
  /** Every domain event this instance published, in order. */
  events: DomainEvent[];
  /** The instance's event bus, for tests that need a handler of their own (e.g. to check commit order). */
  bus: EventBus;
  /** Sends one operation as POST application/json; `token` becomes a bearer header. */
  request<T = any>(query: string, variables?: Record<string, unknown>, options?: { token?: string; headers?: Record<string, string> }): Promise<GraphQLResponse<T>>;
  /** Sends raw HTTP to the GraphQL endpoint (for malformed requests). */
  raw(init: RequestInit & { path?: string }): Promise<Response>;
  /** Signs in a seeded user (`user<N>@example.com`) and returns the bearer token. */
  login(userNumber: number): Promise<string>;
  /**
   * SQL statements this instance's driver sent while `run` ran, the outbox rows its writes
   * mark published afterwards (off the request's path) included; the outbox relay's polls,
   * which run on their own clock, are not.
   */
  countSql(run: () => Promise<unknown>): Promise<number>;
  stop(): Promise<void>;
}

export interface TestServer extends TestInstance {
  dataset: Dataset;
  /** Starts another instance on the same database (and Redis prefix); stopped with this one. */
  startInstance(config?: Partial<Record<string, string>>): Promise<TestInstance>;
}

export interface TestServerOptions {
  size?: DatasetSize;
  label?: string;
  /** Use the test Redis (L2 and pub/sub) under a prefix unique to this server. */
  redis?: boolean;
  config?: Partial<Record<string, string>>;
}

let seedHash: Promise<string> | undefined;

async function startInstance(database: Database, env: Record<string, string | undefined>): Promise<TestInstance> {
  const config = loadConfig(env);
  const events = new InProcessEventBus();
  const published: DomainEvent[] = [];
  events.subscribe((batch) => {
    published.push(...batch);
  });
  const app = await createApp({ config, database, events, logger: createLogger(config) });
  const url = await app.listen();

  const request: TestInstance['request'] = async (query, variables, requestOptions = {}) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(requestOptions.token ? { authorization: `Bearer ${requestOptions.token}` } : {}),
        ...requestOptions.headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse['body'] };
  };

  return {
    url,
    app,
    config,
    database,
    events: published,
    bus: events,
    request,
    raw: ({ path, ...init }) => fetch(path ? new URL(path, url) : url, init),
    async login(userNumber) {
      const result = await request<{ login: { token: string } }>(
        'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { token } }',
        { email: `user${userNumber}@example.com`, password: SEED_PASSWORD },
      );
      if (!result.body.data) throw new Error(`login failed: ${JSON.stringify(result.body.errors)}`);
      return result.body.data.login.token;
    },
    async countSql(run) {
      await app.outbox.settled();
      const before = database.sql.total;
      await run();
      await app.outbox.settled();
      return database.sql.total - before;
    },
    stop: () => app.stop(),
  };
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const testDb: TestDatabase = await createTestDatabase(options.label);
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: testDb.url,
    ...(options.redis
      ? {
          REDIS_URL: TEST_REDIS_URL,
          CACHE_KEY_PREFIX: `t${randomBytes(4).toString('hex')}`,
          // Writes wait for every instance's acknowledgement; on a loaded test machine the
          // production default (500 ms) could pass before a busy instance answers.
          CACHE_ACK_TIMEOUT_MS: '5000',
          // Likewise a Redis starved of CPU can take longer than 250 ms to run a script; counted
          // as an error, that would make exact SQL and round-trip counts depend on the machine.
          // Tests of timeouts set their own.
          REDIS_COMMAND_TIMEOUT_MS: '5000',
        }
      : {}),
    // A relay republishing a deferred write would drop entries in the middle of another test's
    // exact counts; tests of the outbox set their own, short delays.
    OUTBOX_PUBLISH_DELAY_MS: '600000',
    // Every test client is 127.0.0.1 and many tests sign in with a wrong password on purpose:
    // limits no test could trip by accident. Tests of the limits set their own.
    RATE_LIMIT_PER_ADDRESS: '1000000',
    RATE_LIMIT_PER_USER: '1000000',
    LOGIN_FAILURES_PER_ACCOUNT: '10000',
    LOGIN_FAILURES_PER_ADDRESS: '10000',
    ...options.config,
  };
  const database = await createDatabase({ clientUrl: testDb.url, entities, poolMax: 5 });
  await migrate(database.orm);
  seedHash ??= hashPassword(SEED_PASSWORD);
  const dataset = await seed(database.orm, { size: options.size ?? 'demo', passwordHash: await seedHash });

  const main = await startInstance(database, env);
  const others: TestInstance[] = [];
  return {
    ...main,
    dataset,
    async startInstance(config = {}) {
      // Each instance has its own pool too, as separate processes would.
      const own = await createDatabase({ clientUrl: testDb.url, entities, poolMax: 5 });
      const instance = await startInstance(own, { ...env, ...config });
      const stop = instance.stop;
      // Once: a test may stop it, and the server's own stop comes later for every instance.
      let stopped: Promise<void> | undefined;
      instance.stop = () =>
        (stopped ??= (async () => {
          await stop();
          await own.close();
        })());
      others.push(instance);
      return instance;
    },
    async stop() {
      for (const other of others) await other.stop().catch(() => undefined);
      await main.stop();
      await database.close();
      await testDb.drop();
    },
  };
}
