// The one clock every part of the operator reads, injected: intervals and
// deadlines on a monotonic timeline (`now`), wall time for what is written
// down or compared with certificates (`date`), and waiting (`sleep`). Tests
// and benchmarks pass their own; production uses realClock.

export interface Clock {
  /** Milliseconds on a monotonic timeline: intervals, deadlines, budgets. Never goes back. */
  now(): number;
  /** Wall time: status timestamps and certificate validity. */
  date(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  date: () => new Date(),
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
