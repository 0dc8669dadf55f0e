// Client-side rate limits per cloud account and API action, so that all the
// bindings sharing one set of credentials together stay under the vendor's
// documented limits instead of discovering them through throttling errors.

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * A token bucket that hands out permits in arrival order. `ratePerSecond`
 * permits are added per second up to `burst`. Reservations are made on
 * arrival (the bucket may go negative), so each caller waits exactly as long
 * as its place in line requires and callers never busy-loop.
 */
export class RateLimiter {
  readonly ratePerSecond: number;
  readonly burst: number;
  #tokens: number;
  #last: number;
  readonly #clock: Clock;

  constructor(ratePerSecond: number, burst = 1, clock: Clock = realClock) {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
    this.ratePerSecond = ratePerSecond;
    this.burst = Math.max(1, burst);
    this.#tokens = this.burst;
    this.#clock = clock;
    this.#last = clock.now();
  }

  /** Milliseconds the next caller would wait. */
  delay(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : ((1 - this.#tokens) / this.ratePerSecond) * 1000;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    this.#refill();
    this.#tokens -= 1;
    if (this.#tokens >= 0) return;
    const wait = (-this.#tokens / this.ratePerSecond) * 1000;
    try {
      await this.#clock.sleep(wait, signal);
    } catch (err) {
      this.#tokens += 1; // give the reservation back
      throw err;
    }
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSecond);
    this.#last = now;
  }
}

/** Limiters by (account, action); created on first use, shared afterwards. */
export class LimiterRegistry {
  readonly #limits: Readonly<Record<string, number>>;
  readonly #fallback: number;
  readonly #limiters = new Map<string, RateLimiter>();
  readonly #clock: Clock;

  /** @param limits calls per second by action name; `fallback` for any other action. */
  constructor(limits: Readonly<Record<string, number>>, fallback: number, clock: Clock = realClock) {
    this.#limits = limits;
    this.#fallback = fallback;
    this.#clock = clock;
  }

  for(account: string, action: string): RateLimiter {
    const key = `${account}\u0000${action}`;
    let limiter = this.#limiters.get(key);
    if (!limiter) {
      // Burst of one: a full bucket would let a mass renewal start with a
      // spike above the per-second limit in the vendor's window.
      limiter = new RateLimiter(this.#limits[action] ?? this.#fallback, 1, this.#clock);
      this.#limiters.set(key, limiter);
    }
    return limiter;
  }
}
