// In-memory storage standing in for etcd: one global, monotonically
// increasing revision (the resourceVersion), a table per resource keyed like
// etcd keys (`namespace/name`), and a bounded per-resource event history that
// watches replay from and that paginated lists read consistent snapshots out
// of. Objects are immutable once stored; their JSON is rendered lazily, once.
import type { KubeObject } from './objects.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One stored object version. Never mutated after construction. */
export class StoredObject {
  readonly obj: KubeObject;
  readonly rv: number;
  readonly key: string;
  private readonly listItemsKeepTypeMeta: boolean;
  private fullJson: string | undefined;
  private itemJsonCache: string | undefined;

  constructor(obj: KubeObject, rv: number, key: string, listItemsKeepTypeMeta: boolean) {
    this.obj = obj;
    this.rv = rv;
    this.key = key;
    this.listItemsKeepTypeMeta = listItemsKeepTypeMeta;
  }

  /** The object as GET and watch events carry it, with apiVersion and kind. */
  get json(): string {
    this.fullJson ??= JSON.stringify(this.obj);
    return this.fullJson;
  }

  /**
   * The object as an item of a list. Typed (built-in) lists omit each item's
   * apiVersion/kind; custom resource lists (unstructured) keep them.
   */
  get itemJson(): string {
    if (this.listItemsKeepTypeMeta) return this.json;
    if (this.itemJsonCache === undefined) {
      // Stored objects always start with kind then apiVersion (see withRv), so the
      // item is the full JSON minus that prefix: no second serialisation.
      const full = this.json;
      const prefix = `{"kind":${JSON.stringify(this.obj.kind)},"apiVersion":${JSON.stringify(this.obj.apiVersion)},`;
      if (full.startsWith(prefix)) return `{${full.slice(prefix.length)}`;
      const { apiVersion: _a, kind: _k, ...rest } = this.obj;
      this.itemJsonCache = JSON.stringify(rest);
    }
    return this.itemJsonCache;
  }

  /** The same content under another resourceVersion (watch DELETED events carry the deletion revision). */
  withResourceVersion(rv: number): StoredObject {
    const obj = { ...this.obj, metadata: { ...this.obj.metadata, resourceVersion: String(rv) } };
    return new StoredObject(obj, rv, this.key, this.listItemsKeepTypeMeta);
  }
}

export interface StoreEvent {
  type: EventType;
  rv: number;
  key: string;
  /** New state; for DELETED the last state, relabelled with the deletion revision. */
  object: StoredObject;
  /** State before the event (absent for ADDED). */
  prev: StoredObject | undefined;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** One resource's objects and history. */
export class Table {
  readonly name: string;
  readonly objects = new Map<string, StoredObject>();
  private sorted: string[] | null = null;
  private events: StoreEvent[] = [];
  private head = 0;
  /** Every event with rv > floor is still in the history. */
  floor: number;
  private readonly capacity: number;

  constructor(name: string, floor: number, capacity: number) {
    this.name = name;
    this.floor = floor;
    this.capacity = capacity;
  }

  /** Keys in etcd order (namespace, then name); cached until the key set changes. */
  sortedKeys(): string[] {
    if (this.sorted === null) this.sorted = [...this.objects.keys()].sort(compareKeys);
    return this.sorted;
  }

  set(key: string, value: StoredObject): void {
    if (!this.objects.has(key)) this.sorted = null;
    this.objects.set(key, value);
  }

  delete(key: string): void {
    if (this.objects.delete(key)) this.sorted = null;
  }

  record(event: StoreEvent): void {
    this.events.push(event);
    if (this.events.length - this.head > this.capacity) {
      this.floor = this.events[this.head]!.rv;
      this.head++;
      if (this.head > 4096 && this.head > this.capacity) {
        this.events = this.events.slice(this.head);
        this.head = 0;
      }
    }
  }

  /** Forget all history: anything older than `rv` is gone. */
  compact(rv: number): void {
    this.events = [];
    this.head = 0;
    this.floor = rv;
  }

  /** Events after `rv`, oldest first; undefined when `rv` is older than the history. */
  eventsAfter(rv: number): StoreEvent[] | undefined {
    if (rv < this.floor) return undefined;
    const out: StoreEvent[] = [];
    // Binary search for the first event with rv > given.
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.events.length; i++) out.push(this.events[i]!);
    return out;
  }
}

export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export type CommitListener = (table: Table, event: StoreEvent) => void;

export class Store {
  private revision = 0;
  private readonly tables = new Map<string, Table>();
  private readonly listeners: CommitListener[] = [];
  private rvWaiters: Array<{ rv: number; resolve: () => void }> = [];
  readonly historyCapacity: number;

  constructor(historyCapacity: number) {
    this.historyCapacity = historyCapacity;
  }

  get currentRv(): number {
    return this.revision;
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  table(name: string): Table {
    let t = this.tables.get(name);
    if (!t) {
      t = new Table(name, this.revision, this.historyCapacity);
      this.tables.set(name, t);
    }
    return t;
  }

  allTables(): Table[] {
    return [...this.tables.values()];
  }

  dropTable(name: string): void {
    this.tables.delete(name);
  }

  /**
   * Writes a new version of an object under the next revision. `build` gets
   * that revision so the stored object carries it in metadata.resourceVersion.
   */
  put(tableName: string, key: string, obj: KubeObject, keepTypeMeta: boolean): StoredObject {
    const table = this.table(tableName);
    const rv = ++this.revision;
    const stored = new StoredObject(withRv(obj, rv), rv, key, keepTypeMeta);
    const prev = table.objects.get(key);
    table.set(key, stored);
    this.emit(table, { type: prev ? 'MODIFIED' : 'ADDED', rv, key, object: stored, prev });
    return stored;
  }

  /** Removes an object; returns its last state relabelled with the deletion revision. */
  remove(tableName: string, key: string): StoredObject | undefined {
    const table = this.table(tableName);
    const prev = table.objects.get(key);
    if (!prev) return undefined;
    const rv = ++this.revision;
    table.delete(key);
    const last = prev.withResourceVersion(rv);
    this.emit(table, { type: 'DELETED', rv, key, object: last, prev });
    return last;
  }

  private emit(table: Table, event: StoreEvent): void {
    table.record(event);
    for (const l of this.listeners) l(table, event);
    if (this.rvWaiters.length > 0) {
      const ready = this.rvWaiters.filter((w) => w.rv <= this.revision);
      this.rvWaiters = this.rvWaiters.filter((w) => w.rv > this.revision);
      for (const w of ready) w.resolve();
    }
  }

  /** Forget every table's history (like an etcd compaction at the current revision). */
  compact(): void {
    for (const t of this.tables.values()) t.compact(this.revision);
  }

  /** Resolves true once the store reaches `rv`, false after `timeoutMs`. */
  waitForRv(rv: number, timeoutMs: number): Promise<boolean> {
    if (rv <= this.revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { rv, resolve: () => {
        clearTimeout(timer);
        resolve(true);
      } };
      const timer = setTimeout(() => {
        this.rvWaiters = this.rvWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.rvWaiters.push(waiter);
    });
  }
}

const META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

function withRv(obj: KubeObject, rv: number): KubeObject {
  const { apiVersion, kind, metadata, ...rest } = obj;
  // Go's encoder writes TypeMeta first, then metadata (in ObjectMeta field order), then the rest.
  const ordered: Record<string, unknown> = {};
  const withVersion: Record<string, unknown> = { ...metadata, resourceVersion: String(rv) };
  for (const key of META_ORDER) if (withVersion[key] !== undefined) ordered[key] = withVersion[key];
  for (const [key, value] of Object.entries(withVersion)) if (!(key in ordered) && value !== undefined) ordered[key] = value;
  return { kind, apiVersion, metadata: ordered, ...rest } as KubeObject;
}

/**
 * The table as it was at revision `rv` (a consistent snapshot for paginated
 * and exact-revision lists), built from the current state and the history.
 * Returns undefined when `rv` is older than the history.
 */
export function snapshotAt(table: Table, rv: number): { keys: string[]; get(key: string): StoredObject | undefined } | undefined {
  const later = table.eventsAfter(rv);
  if (later === undefined) return undefined;
  if (later.length === 0) return { keys: table.sortedKeys(), get: (k) => table.objects.get(k) };
  const overrides = new Map<string, StoredObject | undefined>();
  for (const ev of later) if (!overrides.has(ev.key)) overrides.set(ev.key, ev.prev);
  const keys = new Set(table.sortedKeys());
  for (const [k, v] of overrides) {
    if (v) keys.add(k);
    else keys.delete(k);
  }
  return {
    keys: [...keys].sort(compareKeys),
    get: (k) => (overrides.has(k) ? overrides.get(k) : table.objects.get(k)),
  };
}
