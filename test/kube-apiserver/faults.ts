// Fault injection: error answers, latency, and watch streams that drop or
// go silent, to exercise a client's retry and re-list logic.
import { conflict, expired, internalError, OBJECT_MODIFIED, serviceUnavailable, tooManyRequests, type ApiError } from './errors.ts';
import type { RequestInfo } from './request-info.ts';
import type { WatchHub } from './watch.ts';

export interface InjectRule {
  verb?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  status: 409 | 410 | 429 | 500 | 503;
  /** How many matching requests to fail; default 1. */
  times?: number;
  retryAfterSeconds?: number;
}

export interface DelayRule {
  verb?: string;
  resource?: string;
  ms: number;
  /** How many matching requests to delay; default: every one until clear(). */
  times?: number;
}

export interface Faults {
  /** Ends open watch streams now, as a network drop would; returns how many. */
  dropWatches(match?: { resource?: string }): number;
  /** Answers matching requests with a metav1.Status error. */
  inject(rule: InjectRule): void;
  delay(rule: DelayRule): void;
  /** Keeps watch connections open but sends nothing more until dropWatches() or clear(). */
  stallWatches(match?: { resource?: string }): void;
  clear(): void;
}

interface Counted<T> {
  rule: T;
  left: number;
}

function ruleMatches(rule: { verb?: string; resource?: string; subresource?: string; namespace?: string; name?: string }, info: RequestInfo): boolean {
  if (!info.isResourceRequest) return false;
  if (rule.verb !== undefined && rule.verb !== info.verb) return false;
  if (rule.resource !== undefined && rule.resource !== info.resource) return false;
  if (rule.subresource !== undefined && rule.subresource !== info.subresource) return false;
  if (rule.namespace !== undefined && rule.namespace !== info.namespace) return false;
  if (rule.name !== undefined && rule.name !== info.name) return false;
  return true;
}

export class FaultInjector implements Faults {
  private readonly hub: WatchHub;
  private injected: Array<Counted<InjectRule>> = [];
  private delays: Array<Counted<DelayRule>> = [];
  private stallMatches: Array<{ resource?: string }> = [];

  constructor(hub: WatchHub) {
    this.hub = hub;
  }

  dropWatches(match: { resource?: string } = {}): number {
    const watchers = this.hub.all(match.resource);
    for (const w of watchers) w.drop();
    return watchers.length;
  }

  inject(rule: InjectRule): void {
    this.injected.push({ rule, left: rule.times ?? 1 });
  }

  delay(rule: DelayRule): void {
    this.delays.push({ rule, left: rule.times ?? Number.POSITIVE_INFINITY });
  }

  stallWatches(match: { resource?: string } = {}): void {
    this.stallMatches.push(match);
    for (const w of this.hub.all(match.resource)) w.stall();
  }

  clear(): void {
    this.injected = [];
    this.delays = [];
    this.stallMatches = [];
    for (const w of this.hub.all()) w.resume();
  }

  /** Whether a newly opened watch on `resource` starts stalled. */
  shouldStall(resource: string): boolean {
    return this.stallMatches.some((m) => m.resource === undefined || m.resource === resource);
  }

  /** The error to answer this request with, if a rule matches (consuming one of its times). */
  takeError(info: RequestInfo, group: string): ApiError | undefined {
    const hit = this.injected.find((c) => c.left > 0 && ruleMatches(c.rule, info));
    if (!hit) return undefined;
    hit.left--;
    this.injected = this.injected.filter((c) => c.left > 0);
    const gr = { group, resource: info.resource };
    switch (hit.rule.status) {
      case 409:
        return conflict(gr, info.name, OBJECT_MODIFIED);
      case 410:
        return expired('The resourceVersion for the provided list is too old.');
      case 429:
        return tooManyRequests(hit.rule.retryAfterSeconds ?? 1);
      case 500:
        return internalError('injected fault');
      case 503:
        return serviceUnavailable('the server is currently unable to handle the request');
    }
  }

  /** Milliseconds to hold this request before handling it. */
  takeDelay(info: RequestInfo): number {
    const hit = this.delays.find((c) => c.left > 0 && ruleMatches(c.rule, info));
    if (!hit) return 0;
    hit.left--;
    this.delays = this.delays.filter((c) => c.left > 0);
    return hit.rule.ms;
  }
}
