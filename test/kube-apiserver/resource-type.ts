// What the server knows about one resource: names for discovery and errors,
// and the strategy hooks the generic registry calls (like a registry
// Strategy in k8s.io/apiserver).
import type { FieldError, GroupKind, GroupResource } from './errors.ts';
import type { JsonObject, KubeObject } from './objects.ts';
import type { StrategicSchema } from './patch.ts';

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly listKind: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly string[];
  /** Has a `status` subresource that isolates .status writes. */
  readonly statusSubresource: boolean;
  /** Custom resources: list items keep apiVersion/kind; no strategic merge patch. */
  readonly custom: boolean;
  /** Server maintains metadata.generation (custom resources, CRDs). */
  readonly hasGeneration: boolean;
  /** PUT without metadata.resourceVersion is allowed (last write wins). */
  readonly allowUnconditionalUpdate: boolean;
  /** PUT of a missing object creates it. */
  readonly allowCreateOnUpdate: boolean;
  /** DELETE answers with the deleted object rather than a Success Status. */
  readonly returnDeletedObject: boolean;
  /** Lists that merge under strategic merge patch; undefined when SMP is unsupported (415). */
  readonly strategicMerge?: StrategicSchema;
  /** Field selector label → value extractor; always includes metadata.name and metadata.namespace. */
  readonly fieldSelectors: ReadonlyMap<string, (obj: KubeObject) => string>;

  /** Decodes a request body into the stored shape: prune, default, normalise; 400 on undecodable input. */
  decode(body: JsonObject): KubeObject;
  /** Clears or sets fields on create (e.g. drop .status when it is a subresource). */
  prepareForCreate(obj: KubeObject): void;
  /** Carries fields the main resource may not change (e.g. .status) over from the stored object. */
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  /** Type-specific validation on create and update. */
  validate(obj: KubeObject): FieldError[];
  /** Extra checks on update (immutable fields). */
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /** Validation of a status-subresource write (custom resources validate only .status). */
  validateStatus(obj: KubeObject, old: KubeObject): FieldError[];
}

export function apiVersionOf(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

export function groupResource(rt: Pick<ResourceType, 'group' | 'resource'>): GroupResource {
  return { group: rt.group, resource: rt.resource };
}

export function groupKind(rt: Pick<ResourceType, 'group' | 'kind'>): GroupKind {
  return { group: rt.group, kind: rt.kind };
}

/** Storage key for the resource's table: `secrets`, `leases.coordination.k8s.io`. */
export function tableKey(rt: Pick<ResourceType, 'group' | 'resource'>): string {
  return rt.group ? `${rt.resource}.${rt.group}` : rt.resource;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

export function metaFieldSelectors(namespaced: boolean): Map<string, (obj: KubeObject) => string> {
  const m = new Map<string, (obj: KubeObject) => string>();
  m.set('metadata.name', (o) => o.metadata.name ?? '');
  if (namespaced) m.set('metadata.namespace', (o) => o.metadata.namespace ?? '');
  return m;
}
