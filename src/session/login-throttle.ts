/**
 * Brute-force protection for `login`: failed sign-ins are counted per account (email, from
 * any address, so spreading guesses over many addresses does not help) and per address (to any
 * account, so spraying one password over many accounts does not either). Once either is used
 * up, sign-ins are refused with RATE_LIMITED, before the password is even checked, until the
 * window ends. A success resets its account's count; the address's count stays (an attacker
 * signing into an account of their own must not clear it).
 */
import { RateLimitedError } from '../errors';
import { hashedKey, type RateLimit } from './rate-limit';

export interface LoginThrottleOptions {
  perAccount: RateLimit;
  perAddress: RateLimit;
  /** Told about every refusal (metrics). */
  onRefused?: (limit: string) => void;
}

export class LoginThrottle {
  constructor(private readonly options: LoginThrottleOptions) {}

  /** Throws RATE_LIMITED when this account or this address has failed too often lately. */
  async check(email: string, address: string | undefined): Promise<void> {
    const [account, from] = await Promise.all([
      this.options.perAccount.check(accountKey(email)),
      address === undefined ? Promise.resolve({ allowed: true as const }) : this.options.perAddress.check(address),
    ]);
    const worst = [account, from].reduce((a, b) => (b.allowed ? a : a.allowed || b.retryAfterSeconds > a.retryAfterSeconds ? b : a));
    if (worst.allowed) return;
    const limit = account.allowed ? this.options.perAddress.name : this.options.perAccount.name;
    this.options.onRefused?.(limit);
    throw new RateLimitedError(
      limit,
      worst.retryAfterSeconds,
      `Too many failed sign-ins. Try again in ${worst.retryAfterSeconds} second${worst.retryAfterSeconds === 1 ? '' : 's'} (see the Retry-After header), or reset the password.`,
    );
  }

  async failed(email: string, address: string | undefined): Promise<void> {
    await Promise.all([
      this.options.perAccount.consume(accountKey(email)),
      address === undefined ? undefined : this.options.perAddress.consume(address),
    ]);
  }

  async succeeded(email: string): Promise<void> {
    await this.options.perAccount.reset(accountKey(email));
  }
}

/** Emails compare case-insensitively and without surrounding spaces, as sign-in does. */
function accountKey(email: string): string {
  return hashedKey(email.trim().toLowerCase());
}
