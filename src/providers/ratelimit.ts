// Client-side rate limits per cloud account and API action, so that all the
// bindings sharing one set of credentials together stay under the vendor's
// documented limits instead of discovering them through throttling errors.

import { realClock, type Clock } from '../clock.ts';

export { realClock, type Clock };

/**
 * Hands out permits in arrival order, at most `ratePerSecond` a second.
 *
 * `acquire()` spaces the actual releases: each waits for the previous one and
 * then until 1/rate after it was released. Scheduling slots ahead of time (a
 * plain token bucket) is not enough: when the event loop stalls, several
 * slots fall due together and go out as a burst, which a vendor counting
 * arrivals in a sliding one-second window sees as too many.
 *
 * `reserve()` is for work the caller schedules itself (such as a requeue
 * after a delay): it books the next free slot and returns how far away it is.
 */
export class RateLimiter {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly #interval: number;
  readonly #clock: Clock;
  /** When the last permit was actually released. */
  #lastRelease = Number.NEGATIVE_INFINITY;
  #tail: Promise<void> = Promise.resolve();
  /** Token bucket for reserve(). */
  #tokens: number;
  #last: number;

  constructor(ratePerSecond: number, burst = 1, clock: Clock = realClock) {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
    this.ratePerSecond = ratePerSecond;
    this.burst = Math.max(1, burst);
    this.#interval = 1000 / ratePerSecond;
    this.#clock = clock;
    this.#tokens = this.burst;
    this.#last = clock.now();
  }

  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.#tail.then(async () => {
      signal?.throwIfAborted();
      const wait = this.#lastRelease + this.#interval - this.#clock.now();
      if (wait > 0) await this.#clock.sleep(wait, signal);
      this.#lastRelease = this.#clock.now();
    });
    this.#tail = turn.catch(() => {});
    return turn;
  }

  reserve(): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSecond);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.ratePerSecond) * 1000;
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
