/**
 * A live-updates client for tests: the real `graphql-ws` client over the `ws` package, and a
 * recorder per subscription that keeps what arrived (payloads, errors, completion) and can wait
 * for a number of payloads.
 */
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';
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
