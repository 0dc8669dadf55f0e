// Kubernetes Events on bindings, recorded like client-go's EventRecorder:
// repeats of the same event within a window become a count bump (PATCH)
// instead of a new object, each object has a token-bucket spam filter, and
// recording never blocks or fails a reconcile: events go through a bounded
// buffer, and are dropped (with a log line) when the API is too slow.
import { randomBytes } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { mergePatch, describeApiError } from './client.ts';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  resourceVersion?: string;
}

export interface EventSink {
  event(object: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface EventRecorderOptions {
  core: CoreV1Api;
  logger: Logger;
  component: string;
  instance: string;
  /** Repeats within this window are aggregated into one Event (client-go: 10 minutes). */
  aggregateWindowMs?: number;
  /** Spam filter per object: burst and refill interval (client-go: 25, one per 5 minutes). */
  burst?: number;
  refillMs?: number;
  /** Events waiting to be sent before new ones are dropped. */
  bufferSize?: number;
}

interface Sent {
  name: string;
  count: number;
  firstTimestamp: string;
  at: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_MESSAGE = 1024;

export class EventRecorder implements EventSink {
  readonly #opts: Required<Omit<EventRecorderOptions, 'core' | 'logger'>> & Pick<EventRecorderOptions, 'core' | 'logger'>;
  readonly #sent = new Map<string, Sent>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #buffer: Array<() => Promise<void>> = [];
  #sending = false;
  #idle: Array<() => void> = [];
  dropped = 0;

  constructor(opts: EventRecorderOptions) {
    this.#opts = { aggregateWindowMs: 10 * 60_000, burst: 25, refillMs: 5 * 60_000, bufferSize: 1000, ...opts };
  }

  event(object: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (!this.#allow(object.uid)) {
      this.dropped += 1;
      return;
    }
    if (this.#buffer.length >= this.#opts.bufferSize) {
      this.dropped += 1;
      this.#opts.logger.warn({ reason }, 'event buffer full; dropping event');
      return;
    }
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    this.#buffer.push(() => this.#send(object, type, reason, text));
    void this.#drain();
  }

  /** Resolves when every buffered event has been sent (for tests and shutdown). */
  flush(): Promise<void> {
    if (!this.#sending && this.#buffer.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #allow(uid: string): boolean {
    const now = Date.now();
    const bucket = this.#buckets.get(uid) ?? { tokens: this.#opts.burst, at: now };
    bucket.tokens = Math.min(this.#opts.burst, bucket.tokens + (now - bucket.at) / this.#opts.refillMs);
    bucket.at = now;
    this.#buckets.set(uid, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  async #drain(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      for (let next = this.#buffer.shift(); next; next = this.#buffer.shift()) await next();
    } finally {
      this.#sending = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #send(object: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = new Date();
    const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const key = [object.uid, type, reason, message].join('\u0000');
    const previous = this.#sent.get(key);
    this.#expire(now.getTime());
    try {
      if (previous && now.getTime() - previous.at < this.#opts.aggregateWindowMs) {
        previous.count += 1;
        previous.at = now.getTime();
        await this.#opts.core.patchNamespacedEvent(
          { namespace: object.namespace, name: previous.name, body: { count: previous.count, lastTimestamp: timestamp } },
          mergePatch,
        );
        return;
      }
      const name = `${object.name}.${randomBytes(8).toString('hex')}`;
      await this.#opts.core.createNamespacedEvent({
        namespace: object.namespace,
        body: {
          metadata: { name, namespace: object.namespace },
          involvedObject: { ...object },
          type,
          reason,
          message,
          count: 1,
          firstTimestamp: timestamp as unknown as Date,
          lastTimestamp: timestamp as unknown as Date,
          source: { component: this.#opts.component },
          reportingComponent: this.#opts.component,
          reportingInstance: this.#opts.instance,
        },
      });
      this.#sent.set(key, { name, count: 1, firstTimestamp: timestamp, at: now.getTime() });
    } catch (err) {
      // The aggregated Event may have been garbage-collected: start over next time.
      this.#sent.delete(key);
      this.#opts.logger.warn({ err: describeApiError(err), reason }, 'could not record event');
    }
  }

  #expire(now: number): void {
    if (this.#sent.size < 10_000) return;
    for (const [key, sent] of this.#sent) if (now - sent.at >= this.#opts.aggregateWindowMs) this.#sent.delete(key);
  }
}
