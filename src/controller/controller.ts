// The loop: workers take keys from the queue and run reconcile(key), then
// turn its result into the queue's next step. It knows nothing about clouds
// or about Kubernetes beyond the key.
import type { Logger } from 'pino';
import { describeApiError } from '../kube/client.ts';
import type { WorkQueue } from './queue.ts';
import type { Result } from './reconciler.ts';

export interface ReconcileMetrics {
  reconciled(result: Result['type'] | 'error', seconds: number): void;
}

export interface ControllerOptions {
  queue: WorkQueue<string>;
  reconcile(key: string): Promise<Result>;
  concurrency: number;
  /**
   * When a binding that failed terminally is looked at again anyway: the
   * cause may be fixed outside Kubernetes (a CDN domain back online).
   */
  terminalRequeueMs: number;
  logger: Logger;
  metrics?: ReconcileMetrics;
}

export class Controller {
  readonly #o: ControllerOptions;
  #workers: Promise<void>[] = [];
  #inFlight = 0;

  constructor(opts: ControllerOptions) {
    this.#o = opts;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Starts the workers; idempotent. */
  start(): void {
    if (this.#workers.length > 0) return;
    for (let i = 0; i < this.#o.concurrency; i++) this.#workers.push(this.#work());
  }

  /** Stops handing out keys and waits (bounded) for in-flight reconciles. Returns false if the wait timed out. */
  async stop(drainTimeoutMs: number): Promise<boolean> {
    const drained = await this.#o.queue.shutDownWithDrain(drainTimeoutMs);
    if (drained) await Promise.all(this.#workers);
    return drained;
  }

  async #work(): Promise<void> {
    const { queue, logger } = this.#o;
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      this.#inFlight += 1;
      const started = performance.now();
      let result: Result | undefined;
      try {
        result = await this.#o.reconcile(key);
      } catch (err) {
        // Kubernetes API errors (a 409 on the finalizer, a 5xx): back off and read again.
        logger.warn({ binding: key, err: describeApiError(err) }, 'reconcile failed; will retry');
      } finally {
        this.#inFlight -= 1;
      }
      this.#o.metrics?.reconciled(result?.type ?? 'error', (performance.now() - started) / 1000);
      this.#schedule(key, result);
      queue.done(key);
    }
  }

  #schedule(key: string, result: Result | undefined): void {
    const { queue, logger } = this.#o;
    if (!result || result.type === 'retry') {
      const delay = queue.addRateLimited(key);
      logger.debug({ binding: key, retryInMs: delay, reason: result?.reason }, 'retrying with backoff');
      return;
    }
    queue.forget(key);
    if (result.type === 'terminal') queue.addAfter(key, this.#o.terminalRequeueMs);
    else if (result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
  }
}
