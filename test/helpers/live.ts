/**
 * A live-updates client for tests: the real `graphql-ws` client over the `ws` package, and a
 * recorder per subscription that keeps what arrived (payloads, errors, completion) and can wait
 * for a number of payloads.
 */
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestServer, type TestInstance, type TestServer } from './server';
import { until } from './until';

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export interface LiveClient extends Client {
  /** Close events the socket saw (code, reason). */
  closes: { code: number; reason: string }[];
}

/** A client of the instance at `httpUrl`; `token` goes in connectionParams.authorization. */
export function liveClient(httpUrl: string, options: { token?: string; headers?: Record<string, string> } & Partial<ClientOptions> = {}): LiveClient {
  const { token, headers, ...rest } = options;
  const closes: { code: number; reason: string }[] = [];
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: headers
      ? class extends WebSocket {
          constructor(address: string, protocols?: string | string[]) {
            super(address, protocols, { headers });
          }
        }
      : WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : undefined,
    retryAttempts: 0,
    lazy: true,
    on: { closed: (event) => closes.push({ code: (event as { code: number }).code, reason: String((event as { reason: string }).reason) }) },
    ...rest,
  }) as LiveClient;
  client.closes = closes;
  return client;
}

export interface Recording<T = any> {
  payloads: { data?: T; errors?: any[]; extensions?: { eventId?: string } }[];
  errors: any[] | undefined;
  completed: boolean;
  /** Resolves once `count` payloads arrived (throws after the patience of `until`). */
  waitFor(count: number): Promise<void>;
  /** Resolves once it ended (completed or errored). */
  ended(): Promise<void>;
  stop(): void;
}

export function record<T = any>(client: Client, query: string, variables?: Record<string, unknown>): Recording<T> {
  const recording: Recording<T> = {
    payloads: [],
    errors: undefined,
    completed: false,
    waitFor: (count) => until(() => recording.payloads.length >= count || recording.errors !== undefined).then(() => {
      if (recording.payloads.length < count) throw new Error(`subscription failed: ${JSON.stringify(recording.errors)}`);
    }),
    ended: () => until(() => recording.completed || recording.errors !== undefined),
    stop: () => undefined,
  };
  recording.stop = client.subscribe<T>(
    { query, variables },
    {
      next: (payload) => void recording.payloads.push(payload as Recording<T>['payloads'][number]),
      error: (error) => {
        recording.errors = Array.isArray(error) ? error : [error];
      },
      complete: () => {
        recording.completed = true;
      },
    },
  );
  return recording;
}

/** Two instances on one database (and Redis), with clients that are closed after each test. */
export interface LiveInstances {
  a: TestServer;
  b: TestInstance;
  /** A bearer token of user 1, an ADMIN. */
  adminToken: string;
  /** A client of `instance`, disposed of after the test. */
  client(instance: TestInstance, token?: string): LiveClient;
  /** Sets a product's price through `instance`, as the ADMIN. */
  setPrice(instance: TestInstance, id: number, price: number): Promise<void>;
}

/**
 * Registers the hooks of a live-updates test file: A and B started before its tests (B's
 * config from `second`, called then), every client closed after each test, and each test
 * started with no subscription on either instance, so the counts a test takes are its own.
 */
export function useLiveInstances(options: {
  label: string;
  redis?: boolean;
  config?: Record<string, string>;
  second?: () => Promise<Record<string, string>> | Record<string, string>;
}): LiveInstances {
  const clients: LiveClient[] = [];
  const fixture = {
    client(instance: TestInstance, token?: string) {
      const made = liveClient(instance.url, { token });
      clients.push(made);
      return made;
    },
    async setPrice(instance: TestInstance, id: number, price: number) {
      const result = await instance.request(
        'mutation ($id: ID!, $price: Int!) { updateProduct(id: $id, input: { priceCents: $price }) { id } }',
        { id: String(id), price },
        { token: fixture.adminToken },
      );
      if (result.body.errors) throw new Error(`updateProduct failed: ${JSON.stringify(result.body.errors)}`);
    },
  } as LiveInstances;
  beforeAll(async () => {
    fixture.a = await startTestServer({ label: options.label, redis: options.redis ?? true, config: options.config });
    fixture.b = await fixture.a.startInstance(await options.second?.());
    fixture.adminToken = await fixture.a.login(1);
  }, 60_000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await until(() => fixture.a.app.live.registry.memberCount === 0 && fixture.b.app.live.registry.memberCount === 0);
  });
  afterAll(async () => {
    await fixture.a?.stop();
  });
  return fixture;
}
