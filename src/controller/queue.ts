// A work queue with client-go's guarantees:
// - a key is never processed by two workers at once (a key added while it is
//   being processed is marked dirty and handed out again after done());
// - duplicates collapse while queued;
// - per-key exponential backoff with jitter for retryable failures;
// - delayed adds (for periodic drift checks), collapsed to the earliest.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Fraction of the delay added or removed at random (0.2 = ±20%). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, jitter: 0.2 };

export interface QueueMetrics {
  added(): void;
  retried(): void;
  depth(n: number): void;
  /** Seconds a key waited in the queue before a worker took it. */
  latency(seconds: number): void;
}

const noMetrics: QueueMetrics = { added() {}, retried() {}, depth() {}, latency() {} };

export class WorkQueue<K = string> {
  readonly #queue: K[] = [];
  /** Keys waiting to be processed (queued, or dirty while processing), with when they were added. */
  readonly #dirty = new Map<K, number>();
  readonly #processing = new Set<K>();
  readonly #failures = new Map<K, number>();
  readonly #delayed = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  readonly #waiters: Array<(key: K | undefined) => void> = [];
  readonly #drainWaiters: Array<() => void> = [];
  readonly #backoff: BackoffPolicy;
  readonly #metrics: QueueMetrics;
  readonly #random: () => number;
  #shuttingDown = false;

  constructor(opts: { backoff?: BackoffPolicy; metrics?: QueueMetrics; random?: () => number } = {}) {
    this.#backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.#metrics = opts.metrics ?? noMetrics;
    this.#random = opts.random ?? Math.random;
  }

  get length(): number {
    return this.#queue.length;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Queue `key` now, unless it is already waiting. */
  add(key: K): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#metrics.added();
    this.#dirty.set(key, performance.now());
    if (this.#processing.has(key)) return; // handed out again by done()
    this.#push(key);
  }

  /** Queue `key` after `ms`; an earlier pending delayed add wins. */
  addAfter(key: K, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.#delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.#delayed.set(key, { at, timer });
  }

  /** Queue `key` after its next backoff step; returns the delay chosen. */
  addRateLimited(key: K): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    this.#metrics.retried();
    const delay = this.backoffFor(failures);
    this.addAfter(key, delay);
    return delay;
  }

  /** The jittered delay after `failures` earlier failures. */
  backoffFor(failures: number): number {
    const { baseMs, maxMs, jitter } = this.#backoff;
    const raw = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 30));
    const spread = raw * jitter * (2 * this.#random() - 1);
    return Math.max(0, Math.round(Math.min(maxMs, raw + spread)));
  }

  /** Clear the key's failure history (after a success or a terminal failure). */
  forget(key: K): void {
    this.#failures.delete(key);
  }

  failures(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Next key to process; undefined once shut down and empty. */
  get(): Promise<K | undefined> {
    const key = this.#take();
    if (key !== undefined) return Promise.resolve(key);
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Mark `key` processed; if it was added meanwhile it is queued again. */
  done(key: K): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key)) this.#push(key);
    if (this.#processing.size === 0 && (this.#queue.length === 0 || this.#shuttingDown)) {
      for (const resolve of this.#drainWaiters.splice(0)) resolve();
    }
  }

  /** Stop handing out keys; workers waiting in get() receive undefined. Delayed adds are dropped. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    for (const resolve of this.#waiters.splice(0)) resolve(undefined);
  }

  /** Shut down, then wait (at most `timeoutMs`) for keys being processed to finish. Returns false on timeout. */
  async shutDownWithDrain(timeoutMs: number): Promise<boolean> {
    this.shutDown();
    if (this.#processing.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => this.#drainWaiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([drained, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #push(key: K): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#handOut(key);
      waiter(key);
      return;
    }
    this.#queue.push(key);
    this.#metrics.depth(this.#queue.length);
  }

  #take(): K | undefined {
    if (this.#shuttingDown) return undefined;
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#metrics.depth(this.#queue.length);
    this.#handOut(key);
    return key;
  }

  #handOut(key: K): void {
    const addedAt = this.#dirty.get(key);
    if (addedAt !== undefined) this.#metrics.latency((performance.now() - addedAt) / 1000);
    this.#dirty.delete(key);
    this.#processing.add(key);
  }
}
