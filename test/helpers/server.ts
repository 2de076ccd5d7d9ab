/**
 * Starts the real app (Express + Apollo over HTTP) on a free port against a fresh, migrated and
 * seeded database, and gives tests a small client that speaks GraphQL over HTTP.
 */
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

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }[] };
}

export interface TestServer {
  url: string;
  app: App;
  database: Database;
  dataset: Dataset;
  /** Every domain event published, in order. */
  events: DomainEvent[];
  /** The server's event bus, for tests that need a handler of their own (e.g. to check commit order). */
  bus: EventBus;
  /** Sends one operation as POST application/json; `token` becomes a bearer header. */
  request<T = any>(query: string, variables?: Record<string, unknown>, options?: { token?: string; headers?: Record<string, string> }): Promise<GraphQLResponse<T>>;
  /** Sends raw HTTP to the GraphQL endpoint (for malformed requests). */
  raw(init: RequestInit & { path?: string }): Promise<Response>;
  /** Signs in a seeded user (`user<N>@example.com`) and returns the bearer token. */
  login(userNumber: number): Promise<string>;
  /** SQL statements the driver sent while `run` ran. */
  countSql(run: () => Promise<unknown>): Promise<number>;
  stop(): Promise<void>;
}

let seedHash: Promise<string> | undefined;

export async function startTestServer(
  options: { size?: DatasetSize; label?: string; config?: Partial<Record<string, string>> } = {},
): Promise<TestServer> {
  const testDb: TestDatabase = await createTestDatabase(options.label);
  const config: Config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: testDb.url,
    ...options.config,
  });
  const database = await createDatabase({ clientUrl: testDb.url, entities, poolMax: 5 });
  await migrate(database.orm);
  seedHash ??= hashPassword(SEED_PASSWORD);
  const dataset = await seed(database.orm, { size: options.size ?? 'demo', passwordHash: await seedHash });

  const events = new InProcessEventBus();
  const published: DomainEvent[] = [];
  events.subscribe((batch) => {
    published.push(...batch);
  });
  const app = await createApp({ config, database, events, logger: createLogger(config) });
  const url = await app.listen();

  const request: TestServer['request'] = async (query, variables, requestOptions = {}) => {
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
    database,
    dataset,
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
      const before = database.sql.total;
      await run();
      return database.sql.total - before;
    },
    async stop() {
      await app.stop();
      await database.close();
      await testDb.drop();
    },
  };
}
