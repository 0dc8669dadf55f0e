// Fault injection: rules that make the emulator misbehave the way the real
// service and the network in front of it do. A rule applies to the requests
// it matches, for a number of requests (`times`) or for a while (`untilMs`,
// milliseconds from now), whichever is given; neither means "until cleared".

export type FaultKind =
  /** Destroy the connection before answering (ECONNRESET / socket hang up). */
  | 'reset'
  /** Never answer (the client's read timeout fires). */
  | 'hang'
  /** Answer with a raw HTML error page, as a load balancer does. */
  | 'html'
  /** Throttling.User (400). */
  | 'throttle'
  /** ServiceBusy (403): the domain is configuring. */
  | 'busy'
  /** Any code, documented or not. */
  | 'fail';

export interface Window {
  /** How many matching requests the fault applies to. */
  times?: number;
  /** For how long, in milliseconds from now. */
  untilMs?: number;
}

export interface Match {
  action?: string;
  /** The DomainName parameter; `*` or absent for any. */
  domain?: string;
}

export interface FaultRule extends Match {
  kind: FaultKind;
  remaining: number;
  until: number;
  /** For `html`: the HTTP status. For `fail`: an override of the documented status. */
  status?: number;
  code?: string;
  message?: string;
  retryAfterMs?: number;
}

export interface RequestFacts {
  action: string;
  domain: string | undefined;
}

/** Faults in the order they are checked: transport first, then the gateway, then the service. */
const STAGES: Record<FaultKind, number> = { reset: 0, hang: 0, html: 0, throttle: 1, busy: 2, fail: 2 };

export class Faults {
  #rules: FaultRule[] = [];
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  add(kind: FaultKind, window: Window, extra: Omit<FaultRule, 'kind' | 'remaining' | 'until'> = {}): void {
    this.#rules.push({
      ...extra,
      kind,
      remaining: window.times ?? Number.POSITIVE_INFINITY,
      until: window.untilMs === undefined ? Number.POSITIVE_INFINITY : this.#now() + window.untilMs,
    });
  }

  clear(): void {
    this.#rules = [];
  }

  /** The first live rule of `stage` that matches, consuming one of its `times`. */
  take(stage: 0 | 1 | 2, req: RequestFacts): FaultRule | undefined {
    const now = this.#now();
    this.#rules = this.#rules.filter((r) => r.remaining > 0 && r.until > now);
    const rule = this.#rules.find(
      (r) =>
        STAGES[r.kind] === stage &&
        (r.action === undefined || r.action === req.action) &&
        (r.domain === undefined || r.domain === '*' || r.domain.toLowerCase() === req.domain?.toLowerCase()),
    );
    if (rule) rule.remaining -= 1;
    return rule;
  }
}

/**
 * A sliding one-second window per (account, action), like the documented
 * per-account limits ("30 calls per second per account"). Only admitted
 * calls count.
 */
export class RateLimits {
  readonly #limits = new Map<string, number>();
  readonly #admitted = new Map<string, number[]>();
  readonly #now: () => number;
  /** How many calls were refused for going over a limit. */
  refused = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  set(action: string, perSecond: number | undefined): void {
    if (perSecond === undefined) this.#limits.delete(action);
    else this.#limits.set(action, perSecond);
  }

  /** Undefined when admitted; else milliseconds until a call would be. */
  check(accountId: string, action: string): number | undefined {
    const limit = this.#limits.get(action);
    if (limit === undefined) return undefined;
    const key = `${accountId}\u0000${action}`;
    const now = this.#now();
    const recent = (this.#admitted.get(key) ?? []).filter((t) => now - t < 1000);
    if (recent.length >= limit) {
      this.#admitted.set(key, recent);
      this.refused += 1;
      return Math.max(1, Math.ceil(1000 - (now - (recent[0] ?? now))));
    }
    recent.push(now);
    this.#admitted.set(key, recent);
    return undefined;
  }
}
