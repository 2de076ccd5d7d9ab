/**
 * The event bus contract and its in-process implementation, used when the server runs as a
 * single instance. A Redis pub/sub bus implements the same contract for several instances.
 */
import type { DomainEvent } from './domain-events';

/** Receives the events of one `publish` call together (e.g. an order and its stock changes). */
export type EventHandler = (events: readonly DomainEvent[]) => void | Promise<void>;

export interface EventBus {
  /** Delivers `events` to every handler; resolves once local handlers have run. */
  publish(...events: DomainEvent[]): Promise<void>;
  /** Returns a function that removes the handler. */
  subscribe(handler: EventHandler): () => void;
  close(): Promise<void>;
}

export interface InProcessEventBusOptions {
  /** Called when a handler throws; the publisher is never failed by a subscriber. */
  onHandlerError?: (error: unknown, events: readonly DomainEvent[]) => void;
}

export class InProcessEventBus implements EventBus {
  private readonly handlers = new Set<EventHandler>();

  constructor(private readonly options: InProcessEventBusOptions = {}) {}

  async publish(...events: DomainEvent[]): Promise<void> {
    await Promise.all(
      [...this.handlers].map(async (handler) => {
        try {
          await handler(events);
        } catch (error) {
          this.options.onHandlerError?.(error, events);
        }
      }),
    );
  }

  subscribe(handler: EventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
