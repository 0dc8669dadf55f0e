// Injected failures. Each rule applies to matching calls (by action, and by
// host for calls that name hosts) until its `times` run out; the first
// matching rule wins, in the order they were added.

export interface FaultMatch {
  /** Only this API action (any when unset). */
  action?: string;
  /** Only calls naming this host (ModifyHostsCertificate Hosts, DescribeAccelerationDomains filter values). */
  host?: string;
  /** How many matching calls fail; default 1, `Infinity` for all. */
  times?: number;
}

export type Fault =
  /** An API error answer (200, `Response.Error`). */
  | { kind: 'error'; code: string; message: string }
  /** The connection is destroyed without an answer. */
  | { kind: 'reset' }
  /** No answer at all until the client gives up (or the emulator stops). */
  | { kind: 'hang' }
  /** A non-200 answer, as from a gateway. */
  | { kind: 'status'; status: number };

interface Rule {
  fault: Fault;
  action: string | undefined;
  host: string | undefined;
  remaining: number;
}

export class Faults {
  readonly #rules: Rule[] = [];
  readonly #latency: Array<{ ms: number; action: string | undefined }> = [];

  add(fault: Fault, match: FaultMatch = {}): void {
    this.#rules.push({ fault, action: match.action, host: match.host?.toLowerCase(), remaining: match.times ?? 1 });
  }

  /** Delay every matching answer by `ms` (0 removes the delay). */
  setLatency(ms: number, action?: string): void {
    const i = this.#latency.findIndex((l) => l.action === action);
    if (i >= 0) this.#latency.splice(i, 1);
    if (ms > 0) this.#latency.push({ ms, action });
  }

  latency(action: string): number {
    return this.#latency.filter((l) => l.action === undefined || l.action === action).reduce((sum, l) => sum + l.ms, 0);
  }

  /** The transport fault (reset, hang, status) for this call, consuming one of its times. */
  takeTransport(action: string, hosts: readonly string[]): Fault | undefined {
    return this.#take(action, hosts, (f) => f.kind !== 'error');
  }

  /** The API error for this call, consuming one of its times. */
  takeError(action: string, hosts: readonly string[]): Fault | undefined {
    return this.#take(action, hosts, (f) => f.kind === 'error');
  }

  clear(): void {
    this.#rules.length = 0;
    this.#latency.length = 0;
  }

  #take(action: string, hosts: readonly string[], kind: (f: Fault) => boolean): Fault | undefined {
    const rule = this.#rules.find(
      (r) =>
        r.remaining > 0 &&
        kind(r.fault) &&
        (r.action === undefined || r.action === action) &&
        (r.host === undefined || hosts.some((h) => h.toLowerCase() === r.host)),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  }
}
