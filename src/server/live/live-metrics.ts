/**
 * Live-update metrics on the app's registry (`GET /metrics`): sockets, subscriptions and
 * distinct subscriptions (gauges read when scraped), events in and messages out per topic kind
 * (`product`, `category`, `orders`, `session`), executions, replays, refusals, and the delay
 * from an event's publication to its payload being written.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface LiveMetrics {
  eventIn(kind: string): void;
  messagesOut(kind: string, count: number): void;
  /** One execution of a subscription document (shared by all its members, or a replay). */
  resolution(kind: string): void;
  replayed(kind: string): void;
  delivered(seconds: number): void;
  refused(reason: string): void;
}

export interface LiveGauges {
  sockets(): number;
  subscriptions(): number;
  distinctSubscriptions(): number;
  topics(): number;
}

export function createLiveMetrics(registry: Registry, gauges: LiveGauges): LiveMetrics {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('storefront_live_sockets', 'WebSocket connections open on this instance.', gauges.sockets);
  gauge('storefront_live_subscriptions', 'Client subscriptions active on this instance.', gauges.subscriptions);
  gauge(
    'storefront_live_distinct_subscriptions',
    'Distinct subscriptions (same document, variables and scope) on this instance: each event costs one execution per distinct subscription.',
    gauges.distinctSubscriptions,
  );
  gauge('storefront_live_topics', 'Topics this instance listens to (one Redis subscription each).', gauges.topics);
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['kind'] as const, registers: [registry] });
  const events = counter('storefront_live_events_total', 'Events received from the live bus, by topic kind.');
  const messages = counter('storefront_live_messages_total', '`next` messages written to sockets, by topic kind.');
  const resolutions = counter('storefront_live_resolutions_total', 'Executions of subscription documents (one per distinct subscription per event, plus replays), by topic kind.');
  const replays = counter('storefront_live_replayed_events_total', 'Events sent again to clients that resumed with `after`, by topic kind.');
  const refusals = new Counter({
    name: 'storefront_live_refusals_total',
    help: 'Sockets closed or subscriptions refused: too many per address or socket, bad token, slow consumer, expired resume point.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'storefront_live_delivery_seconds',
    help: 'From an event\'s publication to its payload being written to the sockets of one distinct subscription.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    eventIn: (kind) => events.inc({ kind }),
    messagesOut: (kind, count) => count > 0 && messages.inc({ kind }, count),
    resolution: (kind) => resolutions.inc({ kind }),
    replayed: (kind) => replays.inc({ kind }),
    delivered: (seconds) => latency.observe(Math.max(0, seconds)),
    refused: (reason) => refusals.inc({ reason }),
  };
}
