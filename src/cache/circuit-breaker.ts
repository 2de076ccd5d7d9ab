/**
 * Stops calling Redis after repeated failures, so a dead or slow cache costs nothing per
 * request; after a cool-down one call probes, and success closes the circuit again. Failures
 * in a row catch a Redis that is gone; a failure rate over the last calls catches one that is
 * intermittently slow, which never fails five times in a row yet makes every other call wait
 * out the full timeout.
 */
export interface CircuitBreakerOptions {
  /** Default 5. Consecutive failures that open the circuit. */
  failureThreshold?: number;
  /** Default 1000. Milliseconds the circuit stays open before a probe is let through. */
  coolDownMs?: number;
  /** Default 20. How many of the latest calls the failure rate is taken over. */
  windowSize?: number;
  /** Default 0.5. The share of failures among the latest `windowSize` calls that opens the circuit. */
  failureRate?: number;
  /** Called whenever the state changes. */
  onStateChange?: (state: CircuitState) => void;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private current: CircuitState = 'closed';
  private readonly threshold: number;
  private readonly coolDownMs: number;
  private readonly windowSize: number;
  private readonly maxFailuresInWindow: number;
  /** Outcomes of the latest calls while closed, oldest first (true: failed). */
  private readonly window: boolean[] = [];
  private failuresInWindow = 0;

  constructor(private readonly options: CircuitBreakerOptions = {}) {
    this.threshold = options.failureThreshold ?? 5;
    this.coolDownMs = options.coolDownMs ?? 1000;
    this.windowSize = options.windowSize ?? 20;
    this.maxFailuresInWindow = Math.ceil((options.failureRate ?? 0.5) * this.windowSize);
  }

  get state(): CircuitState {
    return this.current;
  }

  /** True when a call may go to Redis now. */
  allows(now = Date.now()): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open' && now - this.openedAt >= this.coolDownMs) {
      this.transition('half-open');
      return true;
    }
    // Half-open: one probe is in flight already.
    return false;
  }

  success(): void {
    this.failures = 0;
    this.record(false);
    if (this.current !== 'closed') this.transition('closed');
  }

  failure(now = Date.now()): void {
    this.failures += 1;
    const tooMany = this.record(true);
    if (this.current === 'half-open' || this.failures >= this.threshold || tooMany) {
      this.openedAt = now;
      if (this.current !== 'open') this.transition('open');
    }
  }

  /** Adds an outcome to the window; true when its failures have reached the rate. */
  private record(failed: boolean): boolean {
    this.window.push(failed);
    if (failed) this.failuresInWindow += 1;
    if (this.window.length > this.windowSize && this.window.shift()) this.failuresInWindow -= 1;
    return this.window.length >= this.windowSize && this.failuresInWindow >= this.maxFailuresInWindow;
  }

  private transition(state: CircuitState): void {
    // A fresh start: the calls before an opening say nothing about the Redis that came back.
    if (state === 'open') {
      this.window.length = 0;
      this.failuresInWindow = 0;
    }
    this.current = state;
    this.options.onStateChange?.(state);
  }
}
