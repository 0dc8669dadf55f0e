// The generic registry: create / get / list / update / patch / delete /
// watch over the store, applying each resource's strategy the way
// k8s.io/apiserver/pkg/registry/generic/registry.Store does, plus the
// controllers a bare apiserver relies on (CRD naming/establishing and
// cleanup, namespace termination).
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { builtinResources, NAMESPACE_FINALIZER } from './builtins.ts';
import { assertSupportedCrd, CRD_CLEANUP_FINALIZER, crdResource, customResourceType, establishedStatus } from './crds.ts';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  expired,
  field,
  forbidden,
  GoLiteral,
  invalid,
  notFound,
  OBJECT_MODIFIED,
  timeout,
  unknownServerError,
  unsupportedMediaType,
  type Status,
} from './errors.ts';
import { clone, deepEqual, isObject, nowTime, randomNameSuffix, type Json, type JsonObject, type KubeObject } from './objects.ts';
import {
  APPLY_PATCH,
  JSON_PATCH,
  jsonPatch,
  MERGE_PATCH,
  mergePatch,
  parseJsonPatch,
  STRATEGIC_MERGE_PATCH,
  strategicMergePatch,
} from './patch.ts';
import { apiVersionOf, groupKind, groupResource, tableKey, type ResourceType } from './resource-type.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { objectKey, snapshotAt, Store, StoredObject, type Table } from './store.ts';
import { matches, Watcher, WatchHub, type WatchFilter } from './watch.ts';

export interface WriteOptions {
  dryRun?: boolean;
  subresource?: string;
}

export interface DeleteOptions {
  dryRun?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListParams {
  labelSelector?: string | null;
  fieldSelector?: string | null;
  limit?: string | null;
  continue?: string | null;
  resourceVersion?: string | null;
  resourceVersionMatch?: string | null;
}

export interface WatchParams extends ListParams {
  allowWatchBookmarks?: string | null;
  timeoutSeconds?: string | null;
  sendInitialEvents?: string | null;
}

export interface WriteResult {
  object: StoredObject;
  created?: boolean;
}

/** Either the deleted/updated object or, for most built-ins, a Success Status. */
export type DeleteResult = { object: StoredObject } | { status: object };

const NAMESPACES = { group: '', resource: 'namespaces' };
const TOO_LARGE_RV_WAIT_MS = 3000;

const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, ' +
  'or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an ' +
  'inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: string; rv?: number; start?: string };
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') throw new Error('bad token');
    return { rv: parsed.rv, start: parsed.start };
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

function parseRv(value: string): number {
  if (!/^\d+$/.test(value)) throw badRequest(`invalid resource version: strconv.ParseUint: parsing ${JSON.stringify(value)}: invalid syntax`);
  return Number(value);
}

function isTrue(value: string | null | undefined): boolean {
  return value === 'true' || value === '1';
}

/** Index of the first key >= `from` (binary search). */
function lowerBound(keys: readonly string[], from: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Registry {
  readonly store: Store;
  readonly hub = new WatchHub();
  bookmarkIntervalMs: number;
  private readonly types = new Map<string, ResourceType>();
  private readonly byTable = new Map<string, ResourceType>();
  private reconcileScheduled = false;

  constructor(options: { historyCapacity: number; bookmarkIntervalMs: number }) {
    this.store = new Store(options.historyCapacity);
    this.bookmarkIntervalMs = options.bookmarkIntervalMs;
    for (const rt of [...builtinResources(), crdResource]) this.register(rt);
    this.store.onCommit((table, event) => {
      this.hub.publish(table.name, event);
      if (table.name === tableKey(crdResource)) this.syncCustomType(event.type === 'DELETED' ? undefined : event.object.obj, event.object.obj);
    });
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.create(this.resourceType('', 'v1', 'namespaces')!, undefined, { metadata: { name: ns } });
    }
  }

  // --- resource types --------------------------------------------------------

  private register(rt: ResourceType): void {
    this.types.set(`${apiVersionOf(rt)}/${rt.resource}`, rt);
    this.byTable.set(tableKey(rt), rt);
  }

  private unregister(rt: ResourceType): void {
    this.types.delete(`${apiVersionOf(rt)}/${rt.resource}`);
    this.byTable.delete(tableKey(rt));
  }

  resourceType(group: string, version: string, resource: string): ResourceType | undefined {
    return this.types.get(`${group ? `${group}/` : ''}${version}/${resource}`);
  }

  resourceTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  /** Finds the type for an object's apiVersion and kind (for seeding). */
  typeForObject(apiVersion: string, kind: string): ResourceType | undefined {
    for (const rt of this.types.values()) if (apiVersionOf(rt) === apiVersion && rt.kind === kind) return rt;
    return undefined;
  }

  /** Keeps the servable custom resource types in step with established CRDs. */
  private syncCustomType(crd: KubeObject | undefined, last: KubeObject): void {
    const spec = (last.spec ?? {}) as JsonObject;
    const group = String(spec.group ?? '');
    const plural = String(((spec.names ?? {}) as JsonObject).plural ?? '');
    for (const rt of this.types.values()) {
      if (rt.custom && rt.group === group && rt.resource === plural) this.unregister(rt);
    }
    if (!crd) {
      this.store.dropTable(`${plural}.${group}`);
      return;
    }
    const established = ((crd.status as JsonObject | undefined)?.conditions as JsonObject[] | undefined)?.some(
      (c) => c.type === 'Established' && c.status === 'True',
    );
    if (established) this.register(customResourceType(crd));
  }

  // --- reads -----------------------------------------------------------------

  private table(rt: ResourceType): Table {
    return this.store.table(tableKey(rt));
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): StoredObject {
    const found = this.table(rt).objects.get(objectKey(rt.namespaced ? namespace : undefined, name));
    if (!found) throw notFound(groupResource(rt), name);
    return found;
  }

  private async resolveListRv(rt: ResourceType, params: ListParams): Promise<{ rv: number; start: string }> {
    const table = this.table(rt);
    const rvParam = params.resourceVersion ?? '';
    const match = params.resourceVersionMatch ?? '';
    const listOptions = { group: 'meta.k8s.io', kind: 'ListOptions' };
    if (match && !['Exact', 'NotOlderThan'].includes(match)) {
      throw invalid(listOptions, '', [field.notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', ''])]);
    }
    if (params.continue) {
      if (match) throw invalid(listOptions, '', [field.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided')]);
      if (rvParam !== '' && rvParam !== '0') throw badRequest('specifying resource version is not allowed when using continue');
      const token = decodeContinue(params.continue);
      if (token.rv === -1) return { rv: this.store.currentRv, start: token.start };
      if (token.rv < table.floor) {
        const err = expired(CONTINUE_EXPIRED);
        err.status.metadata.continue = encodeContinue(-1, token.start);
        throw err;
      }
      return { rv: token.rv, start: token.start };
    }
    if (match && rvParam === '') throw invalid(listOptions, '', [field.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided')]);
    if (rvParam === '' || rvParam === '0') return { rv: this.store.currentRv, start: '' };
    const rv = parseRv(rvParam);
    if (match === 'Exact' && rv === 0) {
      throw invalid(listOptions, '', [field.forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"')]);
    }
    await this.waitForRv(rv);
    if (match === 'Exact') {
      if (rv < table.floor) throw expired(`too old resource version: ${rv} (${table.floor})`);
      return { rv, start: '' };
    }
    return { rv: this.store.currentRv, start: '' };
  }

  private async waitForRv(rv: number): Promise<void> {
    if (rv <= this.store.currentRv) return;
    if (await this.store.waitForRv(rv, TOO_LARGE_RV_WAIT_MS)) return;
    throw timeout(`Too large resource version: ${rv}, current: ${this.store.currentRv}`, 1, [
      { reason: 'ResourceVersionTooLarge', message: 'Too large resource version' },
    ]);
  }

  private filterFor(rt: ResourceType, namespace: string | undefined, params: ListParams): WatchFilter {
    const fieldSelectors = rt.fieldSelectors;
    return {
      namespace: rt.namespaced ? namespace : undefined,
      label: parseLabelSelector(params.labelSelector),
      field: parseFieldSelector(params.fieldSelector, new Set(fieldSelectors.keys())),
      fieldsOf: (obj) => {
        const out: Record<string, string> = {};
        for (const [k, f] of fieldSelectors) out[k] = f(obj);
        return out;
      },
    };
  }

  /** A list response body. */
  async list(rt: ResourceType, namespace: string | undefined, params: ListParams): Promise<string> {
    const filter = this.filterFor(rt, namespace, params);
    const limit = params.limit ? Number(params.limit) : 0;
    if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit: ${params.limit}`);
    const { rv, start } = await this.resolveListRv(rt, params);
    const table = this.table(rt);
    const snapshot = rv === this.store.currentRv ? { keys: table.sortedKeys(), get: (k: string) => table.objects.get(k) } : snapshotAt(table, rv);
    if (!snapshot) throw expired(`too old resource version: ${rv} (${table.floor})`);
    const prefix = rt.namespaced && namespace ? `${namespace}/` : '';
    let i = lowerBound(snapshot.keys, start > prefix ? start : prefix);
    const items: StoredObject[] = [];
    let continueToken: string | undefined;
    let remaining: number | undefined;
    const unfiltered = filter.label.empty && filter.field.empty;
    for (; i < snapshot.keys.length; i++) {
      const key = snapshot.keys[i]!;
      if (prefix && !key.startsWith(prefix)) break;
      const obj = snapshot.get(key);
      if (!obj || !matches(filter, obj.obj)) continue;
      if (limit > 0 && items.length === limit) {
        continueToken = encodeContinue(rv, `${items[items.length - 1]!.key}\u0000`);
        if (unfiltered) {
          const end = prefix ? lowerBound(snapshot.keys, `${prefix.slice(0, -1)}0`) : snapshot.keys.length;
          remaining = end - i;
        }
        break;
      }
      items.push(obj);
    }
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (continueToken) metadata.continue = continueToken;
    if (remaining !== undefined) metadata.remainingItemCount = remaining;
    return `{"kind":${JSON.stringify(rt.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(rt))},"metadata":${JSON.stringify(metadata)},"items":[${items
      .map((o) => o.itemJson)
      .join(',')}]}`;
  }

  /** Serves a watch on `res` (status and headers already validated by the caller). */
  async watch(rt: ResourceType, namespace: string | undefined, params: WatchParams, res: ServerResponse, startStalled = false): Promise<void> {
    const filter = this.filterFor(rt, namespace, params);
    const timeoutSeconds = params.timeoutSeconds ? Number(params.timeoutSeconds) : undefined;
    const rvParam = params.resourceVersion ?? '';
    const rv = rvParam === '' || rvParam === '0' ? undefined : parseRv(rvParam);
    let tooLarge: ApiError | undefined;
    if (rv !== undefined) {
      try {
        await this.waitForRv(rv);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        tooLarge = err;
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const table = this.table(rt);
    const watcher = new Watcher(
      res,
      {
        table: table.name,
        resource: rt.resource,
        kind: rt.kind,
        apiVersion: apiVersionOf(rt),
        filter,
        bookmarks: isTrue(params.allowWatchBookmarks),
        bookmarkIntervalMs: this.bookmarkIntervalMs,
        timeoutMs: timeoutSeconds !== undefined && timeoutSeconds > 0 ? timeoutSeconds * 1000 : undefined,
        currentRv: () => this.store.currentRv,
      },
      (w) => this.hub.remove(w),
    );
    if (startStalled) watcher.stall();
    if (tooLarge) {
      watcher.error(tooLarge.status);
      return;
    }
    const sendInitial = params.sendInitialEvents === 'true';
    if (rv === undefined || sendInitial) {
      for (const key of table.sortedKeys()) watcher.added(table.objects.get(key)!);
      if (sendInitial) watcher.bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      const events = table.eventsAfter(rv);
      if (events === undefined) {
        watcher.error(expired(`too old resource version: ${rv} (${table.floor})`).status);
        return;
      }
      for (const ev of events) watcher.deliver(ev);
    }
    this.hub.add(watcher);
  }

  // --- writes ----------------------------------------------------------------

  private checkNamespaceAdmission(rt: ResourceType, namespace: string | undefined, name: string): void {
    if (!rt.namespaced || !namespace) return;
    const ns = this.store.table('namespaces').objects.get(namespace);
    if (!ns) throw notFound(NAMESPACES, namespace);
    if (ns.obj.metadata.deletionTimestamp) {
      const why = `unable to create new content in namespace ${namespace} because it is being terminated`;
      throw forbidden(groupResource(rt), name, why, [{ reason: 'NamespaceTerminating', message: why, field: 'metadata.namespace' }]);
    }
  }

  private normaliseTypeMeta(rt: ResourceType, obj: KubeObject): void {
    obj.apiVersion = apiVersionOf(rt);
    obj.kind = rt.kind;
  }

  create(rt: ResourceType, namespace: string | undefined, body: JsonObject, options: WriteOptions = {}): WriteResult {
    if (options.subresource) throw badRequest(`subresource ${options.subresource} does not support create`);
    const obj = rt.decode(body);
    if (rt.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace;
    } else delete obj.metadata.namespace;
    this.checkNamespaceAdmission(rt, namespace, obj.metadata.name ?? '');
    return this.createDecoded(rt, obj, options);
  }

  private createDecoded(rt: ResourceType, obj: KubeObject, options: WriteOptions): WriteResult {
    const meta = obj.metadata;
    const requestedRv = meta.resourceVersion;
    if (meta.generateName && !meta.name) meta.name = `${meta.generateName}${randomNameSuffix()}`;
    meta.uid = randomUUID();
    meta.creationTimestamp = nowTime();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (rt.hasGeneration) meta.generation = 1;
    else delete meta.generation;
    rt.prepareForCreate(obj);
    this.normaliseTypeMeta(rt, obj);
    if (rt === crdResource) this.assertCrdSupported(obj);
    const errs = rt.validate(obj);
    if (errs.length > 0) throw invalid(groupKind(rt), meta.name ?? '', errs);
    if (requestedRv) throw unknownServerError('resourceVersion should not be set on objects to be created');
    const key = objectKey(rt.namespaced ? meta.namespace : undefined, meta.name!);
    const table = this.table(rt);
    if (table.objects.has(key)) throw alreadyExists(groupResource(rt), meta.name!);
    delete meta.resourceVersion;
    if (options.dryRun) return { object: this.preview(rt, key, obj), created: true };
    const stored = this.store.put(table.name, key, obj, rt.custom);
    if (rt === crdResource) this.establish(stored);
    return { object: stored, created: true };
  }

  /** What a dry-run create answers with: the object as it would be stored, without a resourceVersion. */
  private preview(rt: ResourceType, key: string, obj: KubeObject): StoredObject {
    return new StoredObject(obj, 0, key, rt.custom);
  }

  private assertCrdSupported(obj: KubeObject): void {
    try {
      assertSupportedCrd(obj);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      // Fail loudly: a rule or keyword this server cannot enforce must not pass silently.
      throw new ApiError(500, 'InternalError', (err as Error).message);
    }
  }

  /** The naming and establishing controllers: accept names and mark the CRD Established. */
  private establish(crd: StoredObject): void {
    const next = clone(crd.obj);
    next.status = establishedStatus(next, nowTime());
    this.store.put(tableKey(crdResource), crd.key, next, false);
  }

  update(rt: ResourceType, namespace: string | undefined, name: string, body: JsonObject, options: WriteOptions = {}): WriteResult {
    const obj = rt.decode(body);
    if ((obj.metadata.name ?? '') !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    }
    if (rt.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
        throw badRequest(`the namespace of the object (${obj.metadata.namespace}) does not match the namespace on the request (${namespace})`);
      }
      obj.metadata.namespace = namespace;
    } else delete obj.metadata.namespace;
    const key = objectKey(rt.namespaced ? namespace : undefined, name);
    const existing = this.table(rt).objects.get(key);
    if (!existing) {
      if (rt.allowCreateOnUpdate && !options.subresource) {
        this.checkNamespaceAdmission(rt, namespace, name);
        delete obj.metadata.resourceVersion;
        return this.createDecoded(rt, obj, options);
      }
      throw notFound(groupResource(rt), name);
    }
    return this.applyUpdate(rt, existing, obj, options);
  }

  /** GuaranteedUpdate: preconditions, strategy, validation, then write (or delete once finalizers are gone). */
  private applyUpdate(rt: ResourceType, existing: StoredObject, obj: KubeObject, options: WriteOptions): WriteResult {
    const old = existing.obj;
    const name = old.metadata.name!;
    const requestedRv = obj.metadata.resourceVersion ?? '';
    if (requestedRv === '') {
      if (!rt.allowUnconditionalUpdate) {
        throw invalid(groupKind(rt), name, [field.invalid('metadata.resourceVersion', new GoLiteral('0x0'), 'must be specified for an update')]);
      }
    } else if (requestedRv !== old.metadata.resourceVersion) {
      throw conflict(groupResource(rt), name, OBJECT_MODIFIED);
    }

    let next: KubeObject;
    if (options.subresource === 'status') {
      // Status writes change .status only: everything else comes from the stored object.
      next = clone(old);
      if (obj.status === undefined) delete next.status;
      else next.status = clone(obj.status);
    } else {
      next = obj;
      next.metadata.generation = old.metadata.generation;
      if (next.metadata.generation === undefined) delete next.metadata.generation;
      rt.prepareForUpdate(next, old);
      const meta = next.metadata;
      meta.uid ||= old.metadata.uid;
      meta.creationTimestamp = old.metadata.creationTimestamp;
      if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
      if (old.metadata.deletionGracePeriodSeconds !== undefined && meta.deletionGracePeriodSeconds === undefined) {
        meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
      }
      if (rt.hasGeneration && !deepEqual(withoutMetadata(next), withoutMetadata(old))) {
        meta.generation = (old.metadata.generation ?? 0) + 1;
      }
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    delete next.metadata.selfLink;
    this.normaliseTypeMeta(rt, next);
    if (rt === crdResource) this.assertCrdSupported(next);

    const errs = options.subresource === 'status' ? rt.validateStatus(next, old) : [...rt.validate(next), ...rt.validateUpdate(next, old)];
    if (errs.length > 0) throw invalid(groupKind(rt), name, errs);

    const table = this.table(rt);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0 && !this.heldByNamespaceFinalizer(rt, next)) {
      // The last finalizer is gone: the object is deleted, and the update answers with its last stored state.
      if (options.dryRun) return { object: existing };
      const last = this.store.remove(table.name, existing.key)!;
      this.scheduleReconcile();
      return { object: last };
    }
    if (deepEqual(next, old)) return { object: existing };
    if (options.dryRun) return { object: existing };
    const stored = this.store.put(table.name, existing.key, next, rt.custom);
    this.scheduleReconcile();
    return { object: stored };
  }

  private heldByNamespaceFinalizer(rt: ResourceType, obj: KubeObject): boolean {
    return rt.resource === 'namespaces' && rt.group === '' && (((obj.spec as JsonObject | undefined)?.finalizers as Json[] | undefined) ?? []).length > 0;
  }

  patch(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    rawBody: string,
    options: WriteOptions = {},
  ): WriteResult {
    const accepted = rt.strategicMerge ? [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH] : [JSON_PATCH, MERGE_PATCH, APPLY_PATCH];
    if (contentType === APPLY_PATCH || !accepted.includes(contentType)) {
      // Server-side apply needs managedFields tracking, which this server does not implement.
      throw unsupportedMediaType(contentType === APPLY_PATCH ? accepted.filter((t) => t !== APPLY_PATCH) : accepted);
    }
    let patchBody: unknown;
    try {
      patchBody = JSON.parse(rawBody);
    } catch (err) {
      throw badRequest(`error decoding patch: ${(err as Error).message}`);
    }
    const existing = this.get(rt, namespace, name);
    const current = clone(existing.obj) as unknown as Json;
    let patched: Json;
    if (contentType === MERGE_PATCH) patched = mergePatch(current, patchBody as Json);
    else if (contentType === JSON_PATCH) patched = jsonPatch(current, parseJsonPatch(patchBody));
    else patched = strategicMergePatch(current, patchBody as Json, rt.strategicMerge!);
    if (!isObject(patched)) throw badRequest('the patched object is not a JSON object');
    const patchedMeta = (isObject(patched.metadata) ? patched.metadata : (patched.metadata = {})) as JsonObject;
    // A patch that does not carry a resourceVersion is not a precondition.
    if (!patchedMeta.resourceVersion) patchedMeta.resourceVersion = existing.obj.metadata.resourceVersion!;
    const obj = rt.decode(patched);
    if (obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    }
    if (rt.namespaced) obj.metadata.namespace = namespace;
    return this.applyUpdate(rt, existing, obj, options);
  }

  delete(rt: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): DeleteResult {
    const existing = this.get(rt, namespace, name);
    const meta = existing.obj.metadata;
    const gr = groupResource(rt);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== meta.uid) {
      throw conflict(gr, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
      throw conflict(gr, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`);
    }
    const table = this.table(rt);
    const pendingFinalizers = (meta.finalizers ?? []).length > 0 || this.heldByNamespaceFinalizer(rt, existing.obj);
    if (pendingFinalizers) {
      if (meta.deletionTimestamp) return { object: existing };
      const next = clone(existing.obj);
      next.metadata.deletionTimestamp = nowTime();
      next.metadata.deletionGracePeriodSeconds = 0;
      if ((next.metadata.generation ?? 0) > 0) next.metadata.generation! += 1;
      if (rt === this.resourceType('', 'v1', 'namespaces')) next.status = { ...(next.status as JsonObject | undefined), phase: 'Terminating' };
      if (options.dryRun) return { object: existing };
      const stored = this.store.put(table.name, existing.key, next, rt.custom);
      this.scheduleReconcile();
      return { object: stored };
    }
    if (options.dryRun) return { object: existing };
    const last = this.store.remove(table.name, existing.key)!;
    this.scheduleReconcile();
    if (rt.returnDeletedObject) return { object: last };
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, ...(rt.group ? { group: rt.group } : {}), kind: rt.resource, uid: meta.uid! },
      code: 200,
    };
    const { code: _code, ...withoutCode } = status;
    return { status: withoutCode };
  }

  /** DELETE on a collection: deletes every matching object; answers with the list of them. */
  deleteCollection(rt: ResourceType, namespace: string | undefined, params: ListParams, options: DeleteOptions = {}): string {
    const filter = this.filterFor(rt, namespace, params);
    const table = this.table(rt);
    const deleted: StoredObject[] = [];
    for (const key of [...table.sortedKeys()]) {
      const obj = table.objects.get(key)!;
      if (!matches(filter, obj.obj)) continue;
      const result = this.delete(rt, obj.obj.metadata.namespace, obj.obj.metadata.name!, { dryRun: options.dryRun });
      deleted.push('object' in result ? result.object : obj);
    }
    const metadata = { resourceVersion: String(this.store.currentRv) };
    return `{"kind":${JSON.stringify(rt.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(rt))},"metadata":${JSON.stringify(metadata)},"items":[${deleted
      .map((o) => o.itemJson)
      .join(',')}]}`;
  }

  // --- controllers -----------------------------------------------------------

  private scheduleReconcile(): void {
    if (this.reconcileScheduled) return;
    this.reconcileScheduled = true;
    setImmediate(() => {
      this.reconcileScheduled = false;
      this.reconcileTerminating();
    });
  }

  /**
   * The namespace controller and the CRD cleanup controller: delete the
   * content of terminating namespaces and CRDs, then release them once empty.
   */
  reconcileTerminating(): void {
    for (const ns of [...this.store.table('namespaces').objects.values()]) {
      if (!ns.obj.metadata.deletionTimestamp) continue;
      const name = ns.obj.metadata.name!;
      const prefix = `${name}/`;
      let remaining = 0;
      for (const rt of this.byTable.values()) {
        if (!rt.namespaced) continue;
        const table = this.table(rt);
        const inNamespace = (): string[] => {
          const keys = table.sortedKeys();
          const out: string[] = [];
          for (let i = lowerBound(keys, prefix); i < keys.length && keys[i]!.startsWith(prefix); i++) out.push(keys[i]!);
          return out;
        };
        for (const key of inNamespace()) {
          const obj = table.objects.get(key);
          if (obj && !obj.obj.metadata.deletionTimestamp) this.delete(rt, name, obj.obj.metadata.name!);
        }
        remaining += inNamespace().length;
      }
      if (remaining > 0) continue;
      // Empty: drop the `kubernetes` finalizer (the finalize subresource), then the namespace goes.
      const next = clone(ns.obj);
      const spec = (next.spec ?? {}) as JsonObject;
      next.spec = { ...spec, finalizers: ((spec.finalizers as string[] | undefined) ?? []).filter((f) => f !== NAMESPACE_FINALIZER) };
      const stored = deepEqual(next, ns.obj) ? ns : this.store.put('namespaces', ns.key, next, false);
      if ((next.metadata.finalizers ?? []).length === 0) this.store.remove('namespaces', stored.key);
    }
    for (const crd of [...this.store.table(tableKey(crdResource)).objects.values()]) {
      if (!crd.obj.metadata.deletionTimestamp) continue;
      const spec = (crd.obj.spec ?? {}) as JsonObject;
      const tableName = `${String(((spec.names ?? {}) as JsonObject).plural)}.${String(spec.group)}`;
      const rt = this.byTable.get(tableName);
      const table = this.store.table(tableName);
      if (rt) {
        for (const obj of [...table.objects.values()]) {
          if (!obj.obj.metadata.deletionTimestamp) this.delete(rt, obj.obj.metadata.namespace, obj.obj.metadata.name!);
        }
      }
      if (table.objects.size === 0 && (crd.obj.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) {
        const finalizers = crd.obj.metadata.finalizers!.filter((f) => f !== CRD_CLEANUP_FINALIZER);
        if (finalizers.length === 0) this.store.remove(tableKey(crdResource), crd.key);
        else {
          const next = clone(crd.obj);
          next.metadata.finalizers = finalizers;
          this.store.put(tableKey(crdResource), crd.key, next, false);
        }
      }
    }
  }

  // --- bulk ------------------------------------------------------------------

  /** Bulk insert for tests and benchmarks; creates missing namespaces. */
  seed(objects: readonly object[]): void {
    const nsType = this.resourceType('', 'v1', 'namespaces')!;
    for (const raw of objects) {
      const body = clone(raw) as JsonObject;
      const apiVersion = String(body.apiVersion ?? '');
      const kind = String(body.kind ?? '');
      const rt = this.typeForObject(apiVersion, kind);
      if (!rt) throw new Error(`seed: no resource serves ${apiVersion} ${kind} (create its CRD first)`);
      const meta = (isObject(body.metadata) ? body.metadata : {}) as JsonObject;
      delete meta.resourceVersion;
      const namespace = rt.namespaced ? String(meta.namespace ?? 'default') : undefined;
      if (namespace && !this.store.table('namespaces').objects.has(namespace)) this.create(nsType, undefined, { metadata: { name: namespace } });
      this.create(rt, namespace, body);
    }
  }
}

function withoutMetadata(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, ...rest } = obj;
  return rest;
}
