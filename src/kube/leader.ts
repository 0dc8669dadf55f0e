// Leader election on a coordination.k8s.io/v1 Lease, with client-go's
// semantics and defaults (lease 15 s, renew deadline 10 s, retry 2 s):
// - a candidate takes the Lease when it is free or its holder has not
//   renewed it for leaseDuration, measured on OUR clock from when we last saw
//   the record change (never by comparing timestamps across machines);
// - the leader renews every retry period; if it cannot renew for the renew
//   deadline it has lost the lease and must stop at once;
// - on shutdown the leader releases the Lease (empty holder) so a standby
//   takes over without waiting for it to expire.
// Lease times are MicroTime: RFC 3339 with exactly six fractional digits.
import type { CoordinationV1Api, V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { describeApiError, httpStatus } from './client.ts';

export interface LeaderElectionOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading(): void;
  /** Called once if leadership is lost (not on release()). The process must stop reconciling. */
  onStoppedLeading(): void;
}

/** MicroTime as the API server parses it: `2006-01-02T15:04:05.000000Z`. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

interface Observed {
  holder: string;
  resourceVersion: string;
  transitions: number;
  acquireTime: string | undefined;
  /** Our clock when the record last changed. */
  seenAt: number;
  durationMs: number;
  /** The raw renewTime, to notice a change even when the holder stays the same. */
  renewTime: string;
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading'>> &
    Pick<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading'>;
  #observed: Observed | undefined;
  #leading = false;
  #stopped = false;
  #lastRenew = 0;
  #timer: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.#o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Whether this replica may still act as the leader right now: it leads and
   * renewed the Lease within the renew deadline, by its own clock. Checked
   * before every write, because a process that was paused (SIGSTOP, a long
   * GC, a frozen VM) resumes its in-flight work before its election loop
   * notices that the Lease passed to another replica.
   */
  mayWrite(): boolean {
    return this.#leading && Date.now() - this.#lastRenew < this.#o.renewDeadlineMs;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops campaigning; if leading, releases the Lease so another replica takes over at once. */
  async release(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop;
    if (!this.#leading || !this.#observed) return;
    this.#leading = false;
    const now = microTime(new Date());
    try {
      await this.#o.api.replaceNamespacedLease({
        namespace: this.#o.namespace,
        name: this.#o.name,
        body: this.#lease({ holder: '', durationSeconds: 1, acquireTime: now, renewTime: now, transitions: this.#observed.transitions }),
      });
      this.#o.logger.info('released leader lease');
    } catch (err) {
      this.#o.logger.warn({ err: describeApiError(err) }, 'could not release leader lease');
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const ok = await this.#tryAcquireOrRenew();
      const now = Date.now();
      if (ok) this.#lastRenew = now;
      if (this.#leading && !ok && now - this.#lastRenew > this.#o.renewDeadlineMs) {
        this.#leading = false;
        this.#o.logger.error({ renewDeadlineMs: this.#o.renewDeadlineMs }, 'lost leader lease');
        this.#o.onStoppedLeading();
        return;
      }
      if (ok && !this.#leading) {
        this.#leading = true;
        this.#o.logger.info({ lease: `${this.#o.namespace}/${this.#o.name}` }, 'became leader');
        this.#o.onStartedLeading();
      }
      await this.#sleep(this.#o.retryPeriodMs * (this.#leading ? 1 : 1 + 0.2 * Math.random()));
    }
  }

  /** True when we hold the Lease after this attempt. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity } = this.#o;
    const now = new Date();
    let current: V1Lease;
    try {
      current = await api.readNamespacedLease({ namespace, name });
    } catch (err) {
      if (httpStatus(err) !== 404) return this.#failed(err);
      try {
        const created = await api.createNamespacedLease({
          namespace,
          body: this.#lease({ holder: identity, durationSeconds: this.#o.leaseDurationMs / 1000, acquireTime: microTime(now), renewTime: microTime(now), transitions: 0 }),
        });
        this.#observe(created);
        return true;
      } catch (createErr) {
        return this.#failed(createErr);
      }
    }
    this.#observe(current);
    const observed = this.#observed!;
    const heldByOther = observed.holder !== '' && observed.holder !== identity;
    if (heldByOther && Date.now() - observed.seenAt < observed.durationMs) return false;

    const takingOver = observed.holder !== identity;
    try {
      const updated = await api.replaceNamespacedLease({
        namespace,
        name,
        body: {
          ...this.#lease({
            holder: identity,
            durationSeconds: this.#o.leaseDurationMs / 1000,
            acquireTime: takingOver ? microTime(now) : (observed.acquireTime ?? microTime(now)),
            renewTime: microTime(now),
            transitions: takingOver ? observed.transitions + 1 : observed.transitions,
          }),
          metadata: { name, namespace, resourceVersion: observed.resourceVersion },
        },
      });
      this.#observe(updated);
      return true;
    } catch (err) {
      return this.#failed(err);
    }
  }

  #observe(lease: V1Lease): void {
    const spec = lease.spec ?? {};
    const renewTime = String((spec.renewTime as unknown as string | Date | undefined) instanceof Date ? microTime(spec.renewTime as unknown as Date) : (spec.renewTime ?? ''));
    const holder = spec.holderIdentity ?? '';
    const changed = !this.#observed || this.#observed.holder !== holder || this.#observed.renewTime !== renewTime;
    const acquire = spec.acquireTime as unknown as string | Date | undefined;
    this.#observed = {
      holder,
      resourceVersion: lease.metadata?.resourceVersion ?? '',
      transitions: spec.leaseTransitions ?? 0,
      acquireTime: acquire instanceof Date ? microTime(acquire) : acquire,
      seenAt: changed ? Date.now() : this.#observed!.seenAt,
      durationMs: (spec.leaseDurationSeconds ?? this.#o.leaseDurationMs / 1000) * 1000,
      renewTime,
    };
  }

  #failed(err: unknown): false {
    if (httpStatus(err) !== 409) this.#o.logger.warn({ err: describeApiError(err) }, 'leader election: could not read or write the lease');
    return false;
  }

  #lease(l: { holder: string; durationSeconds: number; acquireTime: string; renewTime: string; transitions: number }): V1Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.#o.name, namespace: this.#o.namespace },
      spec: {
        holderIdentity: l.holder,
        leaseDurationSeconds: Math.round(l.durationSeconds),
        // client-node types these as Date and would send toISOString() (3 digits), which the API server rejects.
        acquireTime: l.acquireTime as unknown as Date,
        renewTime: l.renewTime as unknown as Date,
        leaseTransitions: l.transitions,
      },
    };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(this.#timer);
        resolve();
      };
    });
  }
}
