// The built-in resources an operator talks to: core/v1 namespaces, secrets,
// configmaps, events; coordination.k8s.io/v1 leases. Each mirrors the
// decoding, defaulting and validation of its registry strategy.
import { decodeTyped, OBJECT_META, type StructType } from './decode.ts';
import { field, type FieldError } from './errors.ts';
import { clone, type JsonObject, type KubeObject } from './objects.ts';
import { OBJECT_META_LISTS, type StrategicSchema } from './patch.ts';
import { ALL_VERBS, metaFieldSelectors, type ResourceType } from './resource-type.ts';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, validateObjectMeta, validateObjectMetaUpdate, type NameValidator } from './validation.ts';

const SMP_META: StrategicSchema = new Map(OBJECT_META_LISTS);

const OBJECT_REFERENCE: StructType = {
  struct: 'ObjectReference',
  fields: { kind: 'string', namespace: 'string', name: 'string', uid: 'string', apiVersion: 'string', resourceVersion: 'string', fieldPath: 'string' },
};

interface BuiltinSpec {
  group: string;
  version: string;
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  statusSubresource?: boolean;
  allowCreateOnUpdate?: boolean;
  returnDeletedObject?: boolean;
  nameValidator?: NameValidator;
  shape: StructType;
  extraFieldSelectors?: Record<string, (obj: KubeObject) => string>;
  defaults?(obj: KubeObject): void;
  prepareForCreate?(obj: KubeObject): void;
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  validate?(obj: KubeObject): FieldError[];
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
}

function builtin(spec: BuiltinSpec): ResourceType {
  const fieldSelectors = metaFieldSelectors(spec.namespaced);
  for (const [k, f] of Object.entries(spec.extraFieldSelectors ?? {})) fieldSelectors.set(k, f);
  const nameValidator = spec.nameValidator ?? isDNS1123Subdomain;
  return {
    group: spec.group,
    version: spec.version,
    resource: spec.resource,
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    singular: spec.singular,
    namespaced: spec.namespaced,
    shortNames: spec.shortNames ?? [],
    categories: [],
    verbs: ALL_VERBS,
    statusSubresource: spec.statusSubresource ?? false,
    custom: false,
    hasGeneration: false,
    allowUnconditionalUpdate: true,
    allowCreateOnUpdate: spec.allowCreateOnUpdate ?? false,
    returnDeletedObject: spec.returnDeletedObject ?? false,
    strategicMerge: SMP_META,
    fieldSelectors,
    decode(body: JsonObject): KubeObject {
      const obj = decodeTyped(body, spec.kind, spec.version, spec.shape) as unknown as KubeObject;
      obj.metadata ??= {};
      spec.defaults?.(obj);
      return obj;
    },
    prepareForCreate(obj) {
      spec.prepareForCreate?.(obj);
    },
    prepareForUpdate(obj, old) {
      spec.prepareForUpdate?.(obj, old);
    },
    validate(obj) {
      return [...validateObjectMeta(obj.metadata, spec.namespaced, nameValidator, true), ...(spec.validate?.(obj) ?? [])];
    },
    validateUpdate(obj, old) {
      return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...(spec.validateUpdate?.(obj, old) ?? [])];
    },
    validateStatus(obj, old) {
      return [...validateObjectMeta(obj.metadata, spec.namespaced, nameValidator, true), ...validateObjectMetaUpdate(obj.metadata, old.metadata)];
    },
  };
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_SECRET_BYTES = 1024 * 1024;

function validateConfigKey(key: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (key.length > 253) errs.push(field.invalid(path, key, 'must be no more than 253 characters'));
  if (!CONFIG_KEY.test(key)) {
    errs.push(
      field.invalid(
        path,
        key,
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ),
    );
  }
  if (key === '.' || key === '..') errs.push(field.invalid(path, key, `must not be '${key}'`));
  else if (key.startsWith('..')) errs.push(field.invalid(path, key, "must not start with '..'"));
  return errs;
}

function base64Size(value: string): number {
  return Buffer.from(value, 'base64').length;
}

const secrets = builtin({
  group: '',
  version: 'v1',
  resource: 'secrets',
  kind: 'Secret',
  singular: 'secret',
  namespaced: true,
  shape: {
    struct: 'Secret',
    fields: { metadata: OBJECT_META, immutable: 'bool', data: { map: 'bytes' }, stringData: { map: 'string' }, type: 'string' },
  },
  extraFieldSelectors: { type: (o) => String(o.type ?? '') },
  defaults(obj) {
    // v1 → internal conversion folds stringData into data; it is never stored.
    const stringData = obj.stringData as Record<string, string> | undefined;
    if (stringData) {
      const data = (obj.data as Record<string, string> | undefined) ?? {};
      for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v, 'utf8').toString('base64');
      obj.data = data;
      delete obj.stringData;
    }
    if (!obj.type) obj.type = 'Opaque';
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const data = (obj.data as Record<string, string> | undefined) ?? {};
    let total = 0;
    for (const [key, value] of Object.entries(data)) {
      errs.push(...validateConfigKey(key, 'data'));
      total += base64Size(value);
    }
    if (total > MAX_SECRET_BYTES) errs.push(field.tooLongBytes('data', MAX_SECRET_BYTES));
    const required = (key: string) => {
      if (!(key in data)) errs.push(field.required(`data[${key}]`));
    };
    switch (obj.type) {
      case 'kubernetes.io/tls':
        required('tls.crt');
        required('tls.key');
        break;
      case 'kubernetes.io/service-account-token':
        if (!obj.metadata.annotations?.['kubernetes.io/service-account.name']) {
          errs.push(field.required("metadata.annotations[kubernetes.io/service-account.name]"));
        }
        break;
      case 'kubernetes.io/dockercfg':
        required('.dockercfg');
        break;
      case 'kubernetes.io/dockerconfigjson':
        required('.dockerconfigjson');
        break;
      case 'kubernetes.io/basic-auth':
        if (!('username' in data) && !('password' in data)) {
          errs.push(field.required('data[username]'));
          errs.push(field.required('data[password]'));
        }
        break;
      case 'kubernetes.io/ssh-auth':
        required('ssh-privatekey');
        break;
      default:
        for (const msg of obj.type ? isQualifiedName(String(obj.type)) : []) errs.push(field.invalid('type', obj.type, msg));
    }
    return errs;
  },
  validateUpdate(obj, old) {
    const errs: FieldError[] = [];
    if (obj.type !== old.type) errs.push(field.immutable('type', obj.type));
    if (old.immutable === true) {
      if (JSON.stringify(obj.data ?? {}) !== JSON.stringify(old.data ?? {})) errs.push(field.forbidden('data', 'field is immutable when `immutable` is set'));
      if (obj.immutable !== true) errs.push(field.forbidden('immutable', 'field is immutable when `immutable` is set'));
    }
    return errs;
  },
});

const configmaps = builtin({
  group: '',
  version: 'v1',
  resource: 'configmaps',
  kind: 'ConfigMap',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  shape: {
    struct: 'ConfigMap',
    fields: { metadata: OBJECT_META, immutable: 'bool', data: { map: 'string' }, binaryData: { map: 'bytes' } },
  },
  validate(obj) {
    const errs: FieldError[] = [];
    let total = 0;
    const data = (obj.data as Record<string, string> | undefined) ?? {};
    const binary = (obj.binaryData as Record<string, string> | undefined) ?? {};
    for (const [key, value] of Object.entries(data)) {
      errs.push(...validateConfigKey(key, 'data'));
      total += Buffer.byteLength(value);
    }
    for (const [key, value] of Object.entries(binary)) {
      errs.push(...validateConfigKey(key, 'binaryData'));
      if (key in data) errs.push(field.invalid('data', key, 'duplicate of key present in binaryData'));
      total += base64Size(value);
    }
    if (total > MAX_SECRET_BYTES) errs.push(field.tooLongBytes('', MAX_SECRET_BYTES));
    return errs;
  },
  validateUpdate(obj, old) {
    const errs: FieldError[] = [];
    if (old.immutable === true) {
      if (JSON.stringify(obj.data ?? {}) !== JSON.stringify(old.data ?? {})) errs.push(field.forbidden('data', 'field is immutable when `immutable` is set'));
      if (JSON.stringify(obj.binaryData ?? {}) !== JSON.stringify(old.binaryData ?? {})) {
        errs.push(field.forbidden('binaryData', 'field is immutable when `immutable` is set'));
      }
      if (obj.immutable !== true) errs.push(field.forbidden('immutable', 'field is immutable when `immutable` is set'));
    }
    return errs;
  },
});

export const NAMESPACE_FINALIZER = 'kubernetes';

const namespaces = builtin({
  group: '',
  version: 'v1',
  resource: 'namespaces',
  kind: 'Namespace',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  statusSubresource: true,
  returnDeletedObject: true,
  nameValidator: isDNS1123Label,
  shape: {
    struct: 'Namespace',
    fields: {
      metadata: OBJECT_META,
      spec: { struct: 'NamespaceSpec', fields: { finalizers: { list: 'string' } } },
      status: { struct: 'NamespaceStatus', fields: { phase: 'string', conditions: { list: 'any' } } },
    },
  },
  extraFieldSelectors: { 'status.phase': (o) => String((o.status as JsonObject | undefined)?.phase ?? '') },
  defaults(obj) {
    // Since 1.21 every namespace carries its own name as an immutable label.
    if (obj.metadata.name) obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
  },
  prepareForCreate(obj) {
    obj.spec = { finalizers: [NAMESPACE_FINALIZER] };
    obj.status = { phase: 'Active' };
  },
  prepareForUpdate(obj, old) {
    obj.spec = clone(old.spec) as JsonObject;
    obj.status = clone(old.status) as JsonObject;
  },
});

const leases = builtin({
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  kind: 'Lease',
  singular: 'lease',
  namespaced: true,
  shape: {
    struct: 'Lease',
    fields: {
      metadata: OBJECT_META,
      spec: {
        struct: 'LeaseSpec',
        fields: {
          holderIdentity: 'string',
          leaseDurationSeconds: 'int32',
          acquireTime: 'microtime',
          renewTime: 'microtime',
          leaseTransitions: 'int32',
          strategy: 'string',
          preferredHolder: 'string',
        },
      },
    },
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = (obj.spec as JsonObject | undefined) ?? {};
    if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0) {
      errs.push(field.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
    }
    if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0) {
      errs.push(field.invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
    }
    return errs;
  },
});

const events = builtin({
  group: '',
  version: 'v1',
  resource: 'events',
  kind: 'Event',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  allowCreateOnUpdate: true,
  shape: {
    struct: 'Event',
    fields: {
      metadata: OBJECT_META,
      involvedObject: OBJECT_REFERENCE,
      reason: 'string',
      message: 'string',
      source: { struct: 'EventSource', fields: { component: 'string', host: 'string' } },
      firstTimestamp: 'time',
      lastTimestamp: 'time',
      count: 'int32',
      type: 'string',
      eventTime: 'microtime',
      series: { struct: 'EventSeries', fields: { count: 'int32', lastObservedTime: 'microtime' } },
      action: 'string',
      related: OBJECT_REFERENCE,
      reportingComponent: 'string',
      reportingInstance: 'string',
    },
  },
  extraFieldSelectors: {
    'involvedObject.kind': (o) => String((o.involvedObject as JsonObject | undefined)?.kind ?? ''),
    'involvedObject.namespace': (o) => String((o.involvedObject as JsonObject | undefined)?.namespace ?? ''),
    'involvedObject.name': (o) => String((o.involvedObject as JsonObject | undefined)?.name ?? ''),
    'involvedObject.uid': (o) => String((o.involvedObject as JsonObject | undefined)?.uid ?? ''),
    'involvedObject.apiVersion': (o) => String((o.involvedObject as JsonObject | undefined)?.apiVersion ?? ''),
    'involvedObject.resourceVersion': (o) => String((o.involvedObject as JsonObject | undefined)?.resourceVersion ?? ''),
    'involvedObject.fieldPath': (o) => String((o.involvedObject as JsonObject | undefined)?.fieldPath ?? ''),
    reason: (o) => String(o.reason ?? ''),
    reportingComponent: (o) => String(o.reportingComponent ?? ''),
    source: (o) => String((o.source as JsonObject | undefined)?.component ?? ''),
    type: (o) => String(o.type ?? ''),
  },
  validate(obj) {
    // legacyValidateEvent for core/v1 Events.
    const errs: FieldError[] = [];
    const involved = (obj.involvedObject as JsonObject | undefined) ?? {};
    const involvedNs = String(involved.namespace ?? '');
    const ns = obj.metadata.namespace ?? '';
    if (!obj.eventTime) {
      if (involvedNs === '') {
        if (ns !== '' && ns !== 'default') errs.push(field.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
      } else if (ns !== involvedNs) {
        errs.push(field.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
      }
    } else {
      if (involvedNs === '' && ns !== 'default' && ns !== 'kube-system') {
        errs.push(field.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
      }
      if (!obj.reportingComponent) errs.push(field.required('reportingComponent'));
      for (const msg of obj.reportingComponent ? isQualifiedName(String(obj.reportingComponent)) : []) {
        errs.push(field.invalid('reportingComponent', obj.reportingComponent, msg));
      }
      if (!obj.reportingInstance) errs.push(field.required('reportingInstance'));
      if (String(obj.reportingInstance ?? '').length > 128) errs.push(field.invalid('reportingInstance', '', 'can have at most 128 characters'));
      if (!obj.action) errs.push(field.required('action'));
      if (String(obj.action ?? '').length > 128) errs.push(field.invalid('action', '', 'can have at most 128 characters'));
    }
    return errs;
  },
});

/** Built-in resources, in discovery order. */
export function builtinResources(): ResourceType[] {
  return [namespaces, secrets, configmaps, events, leases];
}
