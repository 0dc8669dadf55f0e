import { describe, expect, it } from 'vitest';
import { LimiterRegistry, RateLimiter, type Clock } from '../../src/providers/ratelimit.ts';

/** A clock that only moves when someone sleeps or the test says so. */
function fakeClock(): Clock & { advance(ms: number): void } {
  let t = 0;
  return {
    now: () => t,
    date: () => new Date(t),
    sleep: async (ms) => {
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

describe('RateLimiter', () => {
  it('spaces actual releases by 1/rate, in arrival order', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(20, 1, clock);
    const released: Array<[number, number]> = [];
    await Promise.all(Array.from({ length: 10 }, (_, i) => limiter.acquire().then(() => released.push([i, clock.now()]))));
    expect(released.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const gaps = released.slice(1).map(([, t], k) => t - released[k]![1]);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(50);
  });

  it('does not release a burst after the caller was idle or the loop stalled', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(10, 1, clock);
    await limiter.acquire();
    clock.advance(5_000); // a long pause: a token bucket would now hold a burst
    const times: number[] = [];
    await Promise.all([1, 2, 3].map(() => limiter.acquire().then(() => times.push(clock.now()))));
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(100);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(100);
  });

  it('reserve() books future slots without waiting', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter(4, 1, clock);
    expect([limiter.reserve(), limiter.reserve(), limiter.reserve()]).toEqual([0, 250, 500]);
  });

  it('a registry shares one limiter per account and action', () => {
    const registry = new LimiterRegistry({ Set: 30 }, 5);
    expect(registry.for('a', 'Set')).toBe(registry.for('a', 'Set'));
    expect(registry.for('a', 'Set')).not.toBe(registry.for('b', 'Set'));
    expect(registry.for('a', 'Set').ratePerSecond).toBe(30);
    expect(registry.for('a', 'Describe').ratePerSecond).toBe(5);
  });
});
