// A reflector in client-go's sense: list, then watch from the list's
// resourceVersion, forever. @kubernetes/client-node's own informer stops for
// good on most errors, so this supervises the list/watch cycle itself:
// - restarts a failed list or watch with jittered exponential backoff;
// - resumes a closed watch from the last resourceVersion it saw (bookmarks
//   included) and relists only on 410 Gone;
// - treats a watch that goes silent as dead (client-node aborts a watch after
//   its inactivity timeout; we also bound every watch with timeoutSeconds);
// - reports its health: synced, and when it last made progress.
import type { Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface ListPage<T> {
  items: T[];
  /** `continue` as the API sends it; `_continue` as client-node's typed models rename it. */
  metadata?: { resourceVersion?: string; continue?: string; _continue?: string };
}

export interface ReflectorHandler<T> {
  /**
   * The full state after a (re)list of `namespace` (undefined: every
   * namespace); anything the handler holds in that scope and that is not in
   * `items` is gone. Several reflectors (one per watched namespace) may share
   * one handler, so a handler must not touch what other scopes hold.
   */
  replace(items: T[], namespace: string | undefined): void;
  /** ADDED or MODIFIED. */
  upsert(item: T): void;
  delete(item: T): void;
}

export interface ReflectorOptions<T> {
  /** For logs and health: `bindings`, `secrets/ns-a` and so on. */
  name: string;
  /** The namespace listed and watched; undefined for all. */
  namespace?: string | undefined;
  list(opts: { limit: number; continue?: string }): Promise<ListPage<T>>;
  /** API path to watch, such as `/api/v1/secrets`. */
  watchPath: string;
  /** Selectors shared by list and watch. */
  watchQuery?: Record<string, string>;
  watch: Watch;
  handler: ReflectorHandler<T>;
  logger: Logger;
  pageSize?: number;
  /** Bounds of the server-side watch timeout, in seconds (client-go: 5 to 10 minutes). */
  watchTimeoutSeconds?: [number, number];
  backoff?: { baseMs: number; maxMs: number };
  /**
   * A watch that delivers nothing (no event, no bookmark) for this long is
   * treated as stalled and reopened from the last resourceVersion. The API
   * server sends bookmarks about once a minute on idle watches; client-node
   * also aborts a watch after 30 s without data.
   */
  stallTimeoutMs?: number;
  random?: () => number;
}

interface WatchEnd {
  expired: boolean;
  error?: unknown;
  /** Events received during this watch. */
  events: number;
}

function statusCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

export class Reflector<T extends { metadata?: { resourceVersion?: string } }> {
  readonly name: string;
  readonly #opts: ReflectorOptions<T>;
  readonly #log: Logger;
  #resourceVersion: string | undefined;
  #synced = false;
  #stopped = false;
  #abort: AbortController | undefined;
  #failures = 0;
  #lastProgress = Date.now();
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #syncedWaiters: Array<() => void> = [];

  constructor(opts: ReflectorOptions<T>) {
    this.name = opts.name;
    this.#opts = opts;
    this.#log = opts.logger.child({ reflector: opts.name });
  }

  get hasSynced(): boolean {
    return this.#synced;
  }

  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** Milliseconds since the reflector last listed, opened a watch, or received an event. */
  sinceProgress(): number {
    return Date.now() - this.#lastProgress;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Resolves once the first list has been delivered. */
  synced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncedWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        if (this.#resourceVersion === undefined) await this.#list();
        if (this.#stopped) break;
        const startedAt = Date.now();
        const end = await this.#watchOnce();
        if (end.expired) {
          this.#log.info({ resourceVersion: this.#resourceVersion }, 'watch expired (410 Gone); relisting');
          this.#resourceVersion = undefined;
          continue;
        }
        if (end.error !== undefined && !isTimeout(end.error)) throw end.error;
        if (end.events === 0 && Date.now() - startedAt < 1_000) {
          // Closed at once with nothing delivered: do not spin.
          await this.#sleep(this.#nextBackoff());
        } else {
          this.#failures = 0;
        }
      } catch (err) {
        if (this.#stopped) break;
        if (statusCode(err) === 410) this.#resourceVersion = undefined;
        const delay = this.#nextBackoff();
        this.#log.warn({ err: describe(err), retryInMs: delay }, 'list/watch failed; retrying');
        await this.#sleep(delay);
      }
    }
  }

  async #list(): Promise<void> {
    const items: T[] = [];
    let next: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.#opts.list({ limit: this.#opts.pageSize ?? 500, ...(next ? { continue: next } : {}) });
      items.push(...page.items);
      resourceVersion = page.metadata?.resourceVersion;
      next = page.metadata?.continue || page.metadata?._continue || undefined;
    } while (next && !this.#stopped);
    if (this.#stopped) return;
    this.#opts.handler.replace(items, this.#opts.namespace);
    this.#resourceVersion = resourceVersion ?? '0';
    this.#progress();
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncedWaiters.splice(0)) resolve();
    }
    this.#log.debug({ count: items.length, resourceVersion }, 'listed');
  }

  #watchOnce(): Promise<WatchEnd> {
    const [lo, hi] = this.#opts.watchTimeoutSeconds ?? [300, 600];
    const random = this.#opts.random ?? Math.random;
    const timeoutSeconds = Math.round(lo + (hi - lo) * random());
    const query = {
      ...this.#opts.watchQuery,
      resourceVersion: this.#resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds,
    };
    return new Promise<WatchEnd>((resolve) => {
      let events = 0;
      let expired = false;
      let settled = false;
      let stallTimer: NodeJS.Timeout | undefined;
      const armStallTimer = () => {
        clearTimeout(stallTimer);
        stallTimer = setTimeout(() => {
          this.#log.warn({ stallTimeoutMs: this.#opts.stallTimeoutMs }, 'watch stalled; reopening');
          this.#abort?.abort();
        }, this.#opts.stallTimeoutMs ?? 90_000);
        stallTimer.unref();
      };
      const finish = (end: WatchEnd) => {
        clearTimeout(stallTimer);
        if (settled) return;
        settled = true;
        resolve(end);
      };
      armStallTimer();
      const onEvent = (type: string, obj: T & { code?: number }) => {
        this.#progress();
        armStallTimer();
        if (type === 'ERROR') {
          if (obj?.code === 410) expired = true;
          else this.#log.warn({ code: obj?.code }, 'watch error event');
          this.#abort?.abort();
          return;
        }
        const rv = obj?.metadata?.resourceVersion;
        if (rv) this.#resourceVersion = rv;
        if (type === 'BOOKMARK') return;
        events += 1;
        if (type === 'DELETED') this.#opts.handler.delete(obj);
        else this.#opts.handler.upsert(obj);
      };
      this.#opts.watch
        .watch(this.#opts.watchPath, query, onEvent, (err: unknown) => {
          finish({ expired: expired || statusCode(err) === 410, error: expired ? undefined : (err ?? undefined), events });
        })
        .then((abort) => {
          this.#abort = abort;
          this.#progress();
          if (this.#stopped) abort.abort();
        })
        .catch((err: unknown) => finish({ expired: statusCode(err) === 410, error: err, events }));
    });
  }

  #progress(): void {
    this.#lastProgress = Date.now();
  }

  #nextBackoff(): number {
    const { baseMs, maxMs } = this.#opts.backoff ?? { baseMs: 500, maxMs: 30_000 };
    const raw = Math.min(maxMs, baseMs * 2 ** this.#failures);
    this.#failures += 1;
    const random = this.#opts.random ?? Math.random;
    return Math.round(raw / 2 + (raw / 2) * random());
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

function describe(err: unknown): string {
  const code = statusCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code ? `HTTP ${code}: ${message.slice(0, 200)}` : message.slice(0, 200);
}
