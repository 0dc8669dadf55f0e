// CustomResourceDefinitions: the apiextensions.k8s.io/v1 resource itself and
// the custom resource type each established CRD makes servable.
import { UnsupportedCelError } from './cel.ts';
import { badRequest, field, type FieldError } from './errors.ts';
import { clone, deepEqual, isObject, type JsonObject, type KubeObject } from './objects.ts';
import { ALL_VERBS, metaFieldSelectors, type ResourceType } from './resource-type.ts';
import { StructuralSchema, UnsupportedSchemaError } from './schema.ts';
import { isDNS1123Subdomain, validateObjectMeta, validateObjectMetaUpdate } from './validation.ts';

export const CRD_GROUP = 'apiextensions.k8s.io';
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

interface CrdNames {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

function namesOf(crd: KubeObject): CrdNames {
  const spec = (crd.spec ?? {}) as JsonObject;
  const names = (spec.names ?? {}) as JsonObject;
  const kind = String(names.kind ?? '');
  return {
    plural: String(names.plural ?? ''),
    singular: String(names.singular ?? kind.toLowerCase()),
    kind,
    listKind: String(names.listKind ?? `${kind}List`),
    shortNames: (names.shortNames as string[] | undefined) ?? [],
    categories: (names.categories as string[] | undefined) ?? [],
  };
}

function crdValidate(obj: KubeObject): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, false, isDNS1123Subdomain);
  const spec = obj.spec as JsonObject | undefined;
  if (!isObject(spec)) return [...errs, field.required('spec')];
  const names = namesOf(obj);
  const group = String(spec.group ?? '');
  if (!group) errs.push(field.required('spec.group'));
  else if (!group.includes('.')) errs.push(field.invalid('spec.group', group, 'should be a domain with at least one dot'));
  if (!names.plural) errs.push(field.required('spec.names.plural'));
  if (!names.kind) errs.push(field.required('spec.names.kind'));
  if (obj.metadata.name && names.plural && group && obj.metadata.name !== `${names.plural}.${group}`) {
    errs.push(field.invalid('metadata.name', obj.metadata.name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') errs.push(field.notSupported('spec.scope', spec.scope ?? '', ['Cluster', 'Namespaced']));
  const versions = (spec.versions as JsonObject[] | undefined) ?? [];
  if (versions.length === 0) errs.push(field.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v.storage === true).length !== 1) {
    errs.push(field.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  }
  versions.forEach((v, i) => {
    if (!isObject((v.schema as JsonObject | undefined)?.openAPIV3Schema)) errs.push(field.required(`spec.versions[${i}].schema.openAPIV3Schema`, 'schemas are required'));
  });
  return errs;
}

/**
 * The test server serves one version per CRD and enforces only schema
 * features it implements: anything else fails the CRD write loudly instead of
 * silently accepting objects a real server would reject.
 */
export function assertSupportedCrd(obj: KubeObject): void {
  const spec = (obj.spec ?? {}) as JsonObject;
  const served = ((spec.versions as JsonObject[] | undefined) ?? []).filter((v) => v.served !== false);
  if (served.length > 1) {
    throw new UnsupportedSchemaError('spec.versions', 'more than one served version (no conversion support)');
  }
  for (const v of served) {
    new StructuralSchema((v.schema as JsonObject).openAPIV3Schema);
    const sub = (v.subresources ?? {}) as JsonObject;
    if (sub.scale !== undefined) throw new UnsupportedSchemaError('subresources.scale', 'the scale subresource');
  }
}

export const crdResource: ResourceType = {
  group: CRD_GROUP,
  version: 'v1',
  resource: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  listKind: 'CustomResourceDefinitionList',
  singular: 'customresourcedefinition',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  verbs: ALL_VERBS,
  statusSubresource: true,
  custom: false,
  hasGeneration: true,
  allowUnconditionalUpdate: false,
  allowCreateOnUpdate: false,
  returnDeletedObject: true,
  strategicMerge: undefined,
  fieldSelectors: metaFieldSelectors(false),
  decode(body) {
    const obj = clone(body) as unknown as KubeObject;
    if (!isObject(obj.metadata)) obj.metadata = {};
    const spec = obj.spec as JsonObject | undefined;
    if (isObject(spec)) {
      const names = (spec.names ?? {}) as JsonObject;
      if (typeof names.kind === 'string') {
        names.singular ??= names.kind.toLowerCase();
        names.listKind ??= `${names.kind}List`;
      }
      spec.conversion ??= { strategy: 'None' };
    }
    return obj;
  },
  prepareForCreate(obj) {
    delete obj.status;
    obj.metadata.finalizers = [...new Set([...(obj.metadata.finalizers ?? []), CRD_CLEANUP_FINALIZER])];
  },
  prepareForUpdate(obj, old) {
    obj.status = clone(old.status) as JsonObject;
  },
  validate: crdValidate,
  validateUpdate(obj, old) {
    const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
    const spec = (obj.spec ?? {}) as JsonObject;
    const oldSpec = (old.spec ?? {}) as JsonObject;
    if (spec.group !== oldSpec.group) errs.push(field.immutable('spec.group', spec.group ?? ''));
    if (!deepEqual(spec.scope, oldSpec.scope)) errs.push(field.immutable('spec.scope', spec.scope ?? ''));
    return errs;
  },
  validateStatus(obj, old) {
    return validateObjectMetaUpdate(obj.metadata, old.metadata);
  },
};

/** The status the naming and establishing controllers give an accepted CRD. */
export function establishedStatus(crd: KubeObject, now: string): JsonObject {
  const names = namesOf(crd);
  const spec = (crd.spec ?? {}) as JsonObject;
  const storage = ((spec.versions as JsonObject[] | undefined) ?? []).find((v) => v.storage === true);
  const acceptedNames: JsonObject = { plural: names.plural, singular: names.singular, kind: names.kind, listKind: names.listKind };
  if (names.shortNames.length) acceptedNames.shortNames = names.shortNames;
  if (names.categories.length) acceptedNames.categories = names.categories;
  return {
    conditions: [
      { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
      { type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
    ],
    acceptedNames,
    storedVersions: storage ? [String(storage.name)] : [],
  };
}

/** The resource a CRD defines, with schema pruning, defaulting and validation. */
export function customResourceType(crd: KubeObject): ResourceType {
  const spec = crd.spec as JsonObject;
  const names = namesOf(crd);
  const version = ((spec.versions as JsonObject[]).find((v) => v.served !== false) ?? (spec.versions as JsonObject[])[0])!;
  const schema = new StructuralSchema((version.schema as JsonObject).openAPIV3Schema);
  const statusSubresource = isObject((version.subresources as JsonObject | undefined)?.status);
  const group = String(spec.group);
  const apiVersion = `${group}/${String(version.name)}`;
  const namespaced = spec.scope === 'Namespaced';
  const typeMetaErrors = (body: JsonObject) => {
    if (typeof body.kind !== 'string' || body.kind === '') throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
    if (typeof body.apiVersion !== 'string' || body.apiVersion === '') throw badRequest(`Object 'apiVersion' is missing in '${JSON.stringify(body)}'`);
    if (body.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersion})`);
    }
    if (body.kind !== names.kind) throw badRequest(`${body.kind} in version "${String(version.name)}" cannot be handled as a ${names.kind}: no kind "${body.kind}" is registered for version "${apiVersion}" in scheme`);
  };
  return {
    group,
    version: String(version.name),
    resource: names.plural,
    kind: names.kind,
    listKind: names.listKind,
    singular: names.singular,
    namespaced,
    shortNames: names.shortNames,
    categories: names.categories,
    verbs: ALL_VERBS,
    statusSubresource,
    custom: true,
    hasGeneration: true,
    allowUnconditionalUpdate: false,
    allowCreateOnUpdate: false,
    returnDeletedObject: true,
    strategicMerge: undefined,
    fieldSelectors: metaFieldSelectors(namespaced),
    decode(body) {
      typeMetaErrors(body);
      const obj = clone(body);
      if (!isObject(obj.metadata)) obj.metadata = {};
      schema.pruneAndDefault(obj);
      return obj as unknown as KubeObject;
    },
    prepareForCreate(obj) {
      if (statusSubresource) delete obj.status;
    },
    prepareForUpdate(obj, old) {
      if (statusSubresource) {
        if (old.status === undefined) delete obj.status;
        else obj.status = clone(old.status);
      }
    },
    validate(obj) {
      return [...validateObjectMeta(obj.metadata, namespaced, isDNS1123Subdomain), ...schema.validate(obj as unknown as JsonObject)];
    },
    validateUpdate(obj, old) {
      return validateObjectMetaUpdate(obj.metadata, old.metadata);
    },
    validateStatus(obj, old) {
      return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...schema.validate(obj as unknown as JsonObject, 'status')];
    },
  };
}

export { UnsupportedCelError, UnsupportedSchemaError };
