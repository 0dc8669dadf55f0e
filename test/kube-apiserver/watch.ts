// Watch streams: newline-delimited JSON events over a chunked HTTP response,
// filtered per watcher the way the apiserver's cacher filters them (an object
// that stops matching a selector arrives as DELETED), with periodic
// bookmarks, timeoutSeconds, and hooks for fault injection (drop, stall).
import type { ServerResponse } from 'node:http';
import type { KubeObject } from './objects.ts';
import type { FieldSelector, LabelSelector } from './selectors.ts';
import type { StoreEvent, StoredObject } from './store.ts';

export interface WatchFilter {
  namespace: string | undefined;
  label: LabelSelector;
  field: FieldSelector;
  fieldsOf(obj: KubeObject): Record<string, string>;
}

export interface WatcherOptions {
  table: string;
  resource: string;
  kind: string;
  apiVersion: string;
  filter: WatchFilter;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  timeoutMs: number | undefined;
  currentRv: () => number;
}

export function matches(filter: WatchFilter, obj: KubeObject): boolean {
  if (filter.namespace !== undefined && obj.metadata.namespace !== filter.namespace) return false;
  if (!filter.label.empty && !filter.label.matches(obj.metadata.labels)) return false;
  if (!filter.field.empty && !filter.field.matches(filter.fieldsOf(obj))) return false;
  return true;
}

function eventLine(type: string, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

export class Watcher {
  readonly options: WatcherOptions;
  private readonly res: ServerResponse;
  private readonly timers: NodeJS.Timeout[] = [];
  private stalled = false;
  private pending: string[] = [];
  private closed = false;
  private readonly onClose: (w: Watcher) => void;

  constructor(res: ServerResponse, options: WatcherOptions, onClose: (w: Watcher) => void) {
    this.res = res;
    this.options = options;
    this.onClose = onClose;
    res.on('close', () => this.finish());
    if (options.bookmarks) {
      const t = setInterval(() => this.bookmark(), options.bookmarkIntervalMs);
      t.unref();
      this.timers.push(t);
    }
    if (options.timeoutMs !== undefined) {
      const t = setTimeout(() => this.end(), options.timeoutMs);
      t.unref();
      this.timers.push(t);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Delivers a store event after applying this watcher's filter. */
  deliver(event: StoreEvent): void {
    const f = this.options.filter;
    const cur = event.type !== 'DELETED' && matches(f, event.object.obj);
    const old = event.prev !== undefined && matches(f, event.prev.obj);
    if (cur && !old) this.write(eventLine('ADDED', event.object.json));
    else if (cur && old) this.write(eventLine('MODIFIED', event.object.json));
    else if (!cur && old) {
      // The previous content, under the event's revision.
      const obj = event.type === 'DELETED' ? event.object : event.prev!.withResourceVersion(event.rv);
      this.write(eventLine('DELETED', obj.json));
    }
  }

  added(object: StoredObject): void {
    if (matches(this.options.filter, object.obj)) this.write(eventLine('ADDED', object.json));
  }

  /** A BOOKMARK: an object of the watched kind carrying only the revision the watcher is current to. */
  bookmark(annotations?: Record<string, string>): void {
    const metadata: Record<string, unknown> = { resourceVersion: String(this.options.currentRv()) };
    if (annotations) metadata.annotations = annotations;
    this.write(eventLine('BOOKMARK', JSON.stringify({ kind: this.options.kind, apiVersion: this.options.apiVersion, metadata })));
  }

  /** Sends an ERROR event carrying a Status, then closes the stream. */
  error(status: object): void {
    this.write(eventLine('ERROR', JSON.stringify(status)));
    this.end();
  }

  private write(line: string): void {
    if (this.closed) return;
    if (this.stalled) {
      this.pending.push(line);
      return;
    }
    this.res.write(line);
  }

  stall(): void {
    this.stalled = true;
  }

  /** Ends a stall: everything held back is sent, in order. */
  resume(): void {
    if (!this.stalled) return;
    this.stalled = false;
    const lines = this.pending;
    this.pending = [];
    for (const line of lines) this.write(line);
  }

  /** Ends the stream cleanly (timeoutSeconds, server stop). */
  end(): void {
    if (this.closed) return;
    this.res.end();
    this.finish();
  }

  /** Cuts the connection as a network drop would. */
  drop(): void {
    if (this.closed) return;
    this.res.socket?.destroy();
    this.res.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.pending = [];
    this.onClose(this);
  }
}

/** Fan-out of committed events to the open watches of each resource. */
export class WatchHub {
  private readonly byTable = new Map<string, Set<Watcher>>();

  add(watcher: Watcher): void {
    let set = this.byTable.get(watcher.options.table);
    if (!set) {
      set = new Set();
      this.byTable.set(watcher.options.table, set);
    }
    set.add(watcher);
  }

  remove(watcher: Watcher): void {
    this.byTable.get(watcher.options.table)?.delete(watcher);
  }

  publish(table: string, event: StoreEvent): void {
    const set = this.byTable.get(table);
    if (!set) return;
    for (const w of set) w.deliver(event);
  }

  all(resource?: string): Watcher[] {
    const out: Watcher[] = [];
    for (const set of this.byTable.values()) for (const w of set) if (resource === undefined || w.options.resource === resource) out.push(w);
    return out;
  }
}
