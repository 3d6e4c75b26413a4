/**
 * Failed authentications per client address: after `limit` failures within `windowMs`, the address is
 * refused (HTTP 429 with Retry-After) until the window that counted them ends, whatever key it sends.
 * A correct key does not reset the count: guessing interleaved with a known key is still guessing.
 * Memory is bounded: the oldest addresses are forgotten first when `maxAddresses` are tracked.
 */

export interface AuthFailureOptions {
  /** Failures allowed per address within one window. @default 10 */
  limit?: number;
  /** Length of the window (ms). @default 60000 */
  windowMs?: number;
  /** Addresses tracked at most. @default 10000 */
  maxAddresses?: number;
}

interface Entry {
  /** When the address's first counted failure happened. */
  since: number;
  failures: number;
}

export class AuthFailures {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;
  private readonly entries = new Map<string, Entry>();

  constructor(options: AuthFailureOptions = {}) {
    this.limit = options.limit ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** Milliseconds the address must wait before trying again, or 0 when it may try now. */
  blockedFor(address: string, now = Date.now()): number {
    const entry = this.current(address, now);
    return entry && entry.failures >= this.limit ? entry.since + this.windowMs - now : 0;
  }

  /** Counts one failed authentication of the address. */
  failed(address: string, now = Date.now()): void {
    const entry = this.current(address, now);
    if (entry) {
      entry.failures++;
      return;
    }
    if (this.entries.size >= this.maxAddresses) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(address, { since: now, failures: 1 });
  }

  private current(address: string, now: number): Entry | undefined {
    const entry = this.entries.get(address);
    if (entry && now - entry.since >= this.windowMs) {
      this.entries.delete(address);
      return undefined;
    }
    return entry;
  }
}
