/**
 * Stops calling Redis after repeated failures, so a dead or slow cache costs nothing per
 * request; after a cool-down one call probes, and success closes the circuit again.
 */
export interface CircuitBreakerOptions {
  /** Default 5. Consecutive failures that open the circuit. */
  failureThreshold?: number;
  /** Default 1000. Milliseconds the circuit stays open before a probe is let through. */
  coolDownMs?: number;
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

  constructor(private readonly options: CircuitBreakerOptions = {}) {
    this.threshold = options.failureThreshold ?? 5;
    this.coolDownMs = options.coolDownMs ?? 1000;
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
    if (this.current !== 'closed') this.transition('closed');
  }

  failure(now = Date.now()): void {
    this.failures += 1;
    if (this.current === 'half-open' || this.failures >= this.threshold) {
      this.openedAt = now;
      if (this.current !== 'open') this.transition('open');
    }
  }

  private transition(state: CircuitState): void {
    this.current = state;
    this.options.onStateChange?.(state);
  }
}
