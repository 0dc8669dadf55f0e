// When a binding is looked at again, on the one injected clock: the drift
// check of a binding in sync (its resync interval, and its slot under the
// shared drift-check budget), and the unsettled window after an ambiguous
// write. The reconciler asks; this module keeps the per-binding timing state,
// so that reconcile() itself stays a function of what the caches hold.
import type { Clock } from '../clock.ts';

/** How long after an ambiguous write a verified binding keeps being re-checked, and how often. */
export const UNSETTLED_WINDOW_MS = 60_000;
export const UNSETTLED_RECHECK_MS = 5_000;

/** A drift check due within this much is due now (a requeue that fired a little early). */
const DUE_SLACK_MS = 1_000;
/** A booked slot this close is taken now. */
const SLOT_SLACK_MS = 5;

export interface DriftBudget {
  /** Milliseconds until the reserved permit may be used (0: now). */
  reserve(): number;
  readonly ratePerSecond: number;
}

export interface ScheduleOptions {
  clock: Clock;
  /** How often a binding in sync is checked against the CDN for drift. */
  resyncIntervalMs: number;
  /** Shared by all bindings; unset: no budget. */
  driftChecks?: DriftBudget | undefined;
  random?: () => number;
}

export class SyncSchedule {
  readonly #o: ScheduleOptions;
  readonly #random: () => number;
  /** When a write of the binding last ended ambiguously (clock.now()). */
  readonly #unsettled = new Map<string, number>();
  /** Drift-check slots booked under the shared budget (clock.now()). */
  readonly #driftSlots = new Map<string, number>();
  #lastDriftCheck = Number.NEGATIVE_INFINITY;

  constructor(opts: ScheduleOptions) {
    this.#o = opts;
    this.#random = opts.random ?? Math.random;
  }

  /**
   * A write ended ambiguously (a timeout, a reset): the CDN may still apply
   * it, late. Until the window has passed, every verified round is checked
   * again soon, so a late write of an older certificate cannot stay in place
   * until the next resync.
   */
  markUnsettled(key: string): void {
    this.#unsettled.set(key, this.#o.clock.now());
  }

  isUnsettled(key: string): boolean {
    const at = this.#unsettled.get(key);
    if (at === undefined) return false;
    if (this.#o.clock.now() - at < UNSETTLED_WINDOW_MS) return true;
    this.#unsettled.delete(key);
    return false;
  }

  /** Milliseconds until the drift check of a binding verified at `lastSyncTime` (RFC 3339) is due; 0 when due. */
  driftCheckDue(lastSyncTime: string): number {
    const age = this.#o.clock.date().getTime() - Date.parse(lastSyncTime);
    const remaining = this.#o.resyncIntervalMs - age;
    return remaining > DUE_SLACK_MS ? remaining : 0;
  }

  /**
   * Milliseconds until this binding's due drift check may run under the
   * shared budget; 0 means run now. A binding books one slot and keeps it:
   * when it comes back at its slot it runs, instead of taking another token
   * (which would let waiting bindings starve each other forever).
   */
  driftCheckWait(key: string): number {
    const budget = this.#o.driftChecks;
    if (!budget) return 0;
    const now = this.#o.clock.now();
    const booked = this.#driftSlots.get(key);
    if (booked !== undefined && now < booked - SLOT_SLACK_MS) return booked - now;
    // Booked slots that fell due together (the event loop was busy, as during
    // a restart) must not run together: keep the actual starts spaced too.
    const spacing = this.#lastDriftCheck + 1000 / budget.ratePerSecond - now;
    if (booked === undefined || spacing > 0) {
      const wait = Math.max(budget.reserve(), spacing);
      if (wait > 0) {
        this.#driftSlots.set(key, now + wait);
        return wait;
      }
    }
    this.#driftSlots.delete(key);
    this.#lastDriftCheck = now;
    return 0;
  }

  /** When to look again at a binding just verified in sync. */
  afterSync(key: string): number {
    if (this.isUnsettled(key)) return UNSETTLED_RECHECK_MS;
    // ±10% so that bindings created together do not check for drift together.
    return Math.round(this.#o.resyncIntervalMs * (0.9 + 0.2 * this.#random()));
  }

  /** The binding is gone. */
  forget(key: string): void {
    this.#driftSlots.delete(key);
    this.#unsettled.delete(key);
  }
}
