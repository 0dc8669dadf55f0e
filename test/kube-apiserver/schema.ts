// Structural-schema handling for custom resources, in the order the
// apiextensions-apiserver applies it: prune unknown fields, apply defaults,
// then validate (OpenAPI value validations, list types, CEL rules).
import { compileCel, CelRuntimeError, type CelProgram, UnsupportedCelError } from './cel.ts';
import { field, type FieldError } from './errors.ts';
import { clone, deepEqual, isObject, type Json, type JsonObject } from './objects.ts';

export class UnsupportedSchemaError extends Error {
  constructor(path: string, why: string) {
    super(`test kube-apiserver: unsupported openAPIV3Schema at ${path || '<root>'}: ${why}. Extend test/kube-apiserver/schema.ts to support it.`);
    this.name = 'UnsupportedSchemaError';
  }
}

interface Rule {
  program: CelProgram;
  message?: string;
  fieldPath?: string;
  reason?: string;
}

interface Node {
  type?: string;
  properties?: Map<string, Node>;
  additionalProperties?: Node | true;
  items?: Node;
  required: string[];
  enum?: Json[];
  pattern?: RegExp;
  patternSource?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  format?: string;
  default?: Json;
  nullable: boolean;
  preserveUnknown: boolean;
  intOrString: boolean;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  rules: Rule[];
}

const IGNORED = new Set(['description', 'title', 'example', 'externalDocs', '$schema', 'x-kubernetes-map-type']);
const VALIDATED_FORMATS = new Set(['date-time', 'datetime', 'date', 'byte', 'uuid', 'int32', 'int64', 'float', 'double', 'password', '']);

function compileNode(raw: unknown, path: string): Node {
  if (!isObject(raw)) throw new UnsupportedSchemaError(path, 'schema node is not an object');
  const node: Node = {
    required: [],
    nullable: raw.nullable === true,
    preserveUnknown: raw['x-kubernetes-preserve-unknown-fields'] === true,
    intOrString: raw['x-kubernetes-int-or-string'] === true,
    rules: [],
  };
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case 'type':
        node.type = String(value);
        break;
      case 'properties':
        node.properties = new Map(Object.entries(value as JsonObject).map(([k, v]) => [k, compileNode(v, path ? `${path}.${k}` : k)]));
        break;
      case 'additionalProperties':
        if (value === true) node.additionalProperties = true;
        else if (isObject(value)) node.additionalProperties = compileNode(value, `${path}.additionalProperties`);
        break;
      case 'items':
        node.items = compileNode(value, `${path}.items`);
        break;
      case 'required':
        node.required = (value as string[]).slice();
        break;
      case 'enum':
        node.enum = value as Json[];
        break;
      case 'pattern':
        node.patternSource = String(value);
        try {
          node.pattern = new RegExp(String(value));
        } catch (err) {
          throw new UnsupportedSchemaError(path, `pattern ${String(value)} does not compile: ${(err as Error).message}`);
        }
        break;
      case 'minLength':
      case 'maxLength':
      case 'minItems':
      case 'maxItems':
      case 'minProperties':
      case 'maxProperties':
      case 'minimum':
      case 'maximum':
      case 'multipleOf':
        node[key] = Number(value);
        break;
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        node[key] = value === true;
        break;
      case 'format':
        if (!VALIDATED_FORMATS.has(String(value))) throw new UnsupportedSchemaError(path, `format ${String(value)} is validated by the real server but not here`);
        node.format = String(value);
        break;
      case 'default':
        node.default = value as Json;
        break;
      case 'nullable':
      case 'x-kubernetes-preserve-unknown-fields':
      case 'x-kubernetes-int-or-string':
        break;
      case 'x-kubernetes-list-type':
        node.listType = value as Node['listType'];
        break;
      case 'x-kubernetes-list-map-keys':
        node.listMapKeys = value as string[];
        break;
      case 'x-kubernetes-validations':
        for (const rule of value as JsonObject[]) {
          if (rule.messageExpression !== undefined) throw new UnsupportedCelError(String(rule.rule), 'messageExpression');
          if (rule.optionalOldSelf !== undefined) throw new UnsupportedCelError(String(rule.rule), 'optionalOldSelf');
          node.rules.push({
            program: compileCel(String(rule.rule)),
            ...(typeof rule.message === 'string' ? { message: rule.message } : {}),
            ...(typeof rule.fieldPath === 'string' ? { fieldPath: rule.fieldPath } : {}),
            ...(typeof rule.reason === 'string' ? { reason: rule.reason } : {}),
          });
        }
        break;
      default:
        if (!IGNORED.has(key)) throw new UnsupportedSchemaError(path, `keyword ${key}`);
    }
  }
  return node;
}

/** ObjectMeta's JSON fields; anything else under metadata is dropped when decoding. */
export const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
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
]);

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_PART = /^\d{2}:\d{2}:\d{2}(\.\d+)?(z|[+-]\d{2}:\d{2})$/;

function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.getUTCDate() === Number(m[3]);
}

/** strfmt.IsDateTime as kube-openapi uses it. */
function isDateTime(s: string): boolean {
  const parts = s.toLowerCase().split('t');
  if (parts.length !== 2) return false;
  return isDate(parts[0]!) && TIME_PART.test(parts[1]!);
}

function formatOk(format: string, value: string): boolean {
  switch (format) {
    case 'date-time':
    case 'datetime':
      return isDateTime(value);
    case 'date':
      return isDate(value);
    case 'byte':
      return /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value);
    case 'uuid':
      return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
    default:
      return true;
  }
}

/** A compiled CRD version schema. */
export class StructuralSchema {
  private readonly root: Node;

  /** Throws UnsupportedSchemaError / UnsupportedCelError for anything it cannot enforce faithfully. */
  constructor(openAPIV3Schema: unknown) {
    this.root = compileNode(openAPIV3Schema, '');
  }

  /** The sub-schema of a top-level property (for status-only validation). */
  hasProperty(name: string): boolean {
    return this.root.properties?.has(name) ?? false;
  }

  /** Drops unknown fields (and non-nullable nulls without defaults), then applies defaults; mutates `obj`. */
  pruneAndDefault(obj: JsonObject): void {
    for (const key of Object.keys(obj)) {
      if (key === 'apiVersion' || key === 'kind') continue;
      if (key === 'metadata') {
        if (isObject(obj.metadata)) {
          for (const mk of Object.keys(obj.metadata)) if (!OBJECT_META_FIELDS.has(mk)) delete obj.metadata[mk];
        }
        continue;
      }
      const child = this.root.properties?.get(key);
      if (!child) {
        if (!this.root.preserveUnknown) delete obj[key];
        continue;
      }
      obj[key] = prune(obj[key]!, child);
    }
    applyDefaults(obj, this.root, true);
  }

  /** All validation errors for the object, `only` restricting them to one top-level field. */
  validate(obj: JsonObject, only?: string): FieldError[] {
    const errs: FieldError[] = [];
    const props = this.root.properties ?? new Map<string, Node>();
    for (const [key, child] of props) {
      if (key === 'metadata' || key === 'apiVersion' || key === 'kind') continue;
      if (only !== undefined && key !== only) continue;
      if (!(key in obj)) {
        if (this.root.required.includes(key)) errs.push(field.required(key));
        continue;
      }
      validateValue(obj[key]!, child, key, errs);
    }
    for (const [key, child] of props) {
      if (only !== undefined && key !== only) continue;
      if (key in obj && key !== 'metadata') validateListTypes(obj[key]!, child, key, errs);
    }
    const blocking = errs.some((e) => e.type === 'FieldValueTypeInvalid');
    if (blocking) {
      errs.push(field.invalid('', null, 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation'));
    } else {
      for (const [key, child] of props) {
        if (only !== undefined && key !== only) continue;
        if (key in obj && key !== 'metadata') validateRules(obj[key]!, child, key, errs);
      }
    }
    return errs;
  }
}

function prune(value: Json, node: Node): Json {
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [key, v] of Object.entries(value)) {
      const child = node.properties?.get(key);
      if (child) out[key] = prune(v, child);
      else if (node.additionalProperties && node.additionalProperties !== true) out[key] = prune(v, node.additionalProperties);
      else if (node.additionalProperties === true || node.preserveUnknown) out[key] = v;
    }
    return out;
  }
  if (Array.isArray(value) && node.items) return value.map((v) => prune(v, node.items!));
  return value;
}

function applyDefaults(value: JsonObject, node: Node, isRoot = false): void {
  if (node.properties) {
    for (const [key, child] of node.properties) {
      if (isRoot && key === 'metadata') continue;
      const current = value[key];
      if (current === null && !child.nullable) {
        if (child.default !== undefined) value[key] = clone(child.default);
        else delete value[key];
      } else if (current === undefined && child.default !== undefined) {
        value[key] = clone(child.default);
      }
      const v = value[key];
      if (v !== undefined) defaultInto(v, child);
    }
  }
  if (node.additionalProperties && node.additionalProperties !== true) {
    for (const key of Object.keys(value)) {
      if (node.properties?.has(key)) continue;
      defaultInto(value[key]!, node.additionalProperties);
    }
  }
}

function defaultInto(value: Json, node: Node): void {
  if (isObject(value)) applyDefaults(value, node);
  else if (Array.isArray(value) && node.items) for (const item of value) defaultInto(item, node.items);
}

function typeMatches(value: Json, node: Node): boolean {
  if (node.intOrString) return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
  if (value === null) return node.nullable || node.type === undefined;
  switch (node.type) {
    case undefined:
      return true;
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    default:
      return false;
  }
}

function validateValue(value: Json, node: Node, path: string, errs: FieldError[]): void {
  if (!typeMatches(value, node)) {
    const actual = jsonType(value);
    errs.push(field.typeInvalid(path, actual, `${path} in body must be of type ${node.type}: ${JSON.stringify(actual)}`));
    return;
  }
  if (value === null) return;
  if (node.enum && !node.enum.some((e) => deepEqual(e, value))) {
    errs.push(field.notSupported(path, value, node.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)))));
  }
  if (typeof value === 'string') {
    if (node.maxLength !== undefined && [...value].length > node.maxLength) errs.push(field.tooLong(path, value, node.maxLength));
    if (node.minLength !== undefined && [...value].length < node.minLength) {
      errs.push(field.invalid(path, value, `${path} in body should be at least ${node.minLength} chars long`));
    }
    if (node.pattern && !node.pattern.test(value)) errs.push(field.invalid(path, value, `${path} in body should match '${node.patternSource}'`));
    if (node.format && !formatOk(node.format, value)) {
      errs.push(field.invalid(path, value, `${path} in body must be of type ${node.format}: ${JSON.stringify(value)}`));
    }
  }
  if (typeof value === 'number') {
    if (node.minimum !== undefined && (node.exclusiveMinimum ? value <= node.minimum : value < node.minimum)) {
      errs.push(field.invalid(path, value, `${path} in body should be greater than ${node.exclusiveMinimum ? '' : 'or equal to '}${node.minimum}`));
    }
    if (node.maximum !== undefined && (node.exclusiveMaximum ? value >= node.maximum : value > node.maximum)) {
      errs.push(field.invalid(path, value, `${path} in body should be less than ${node.exclusiveMaximum ? '' : 'or equal to '}${node.maximum}`));
    }
    if (node.multipleOf !== undefined && value % node.multipleOf !== 0) {
      errs.push(field.invalid(path, value, `${path} in body should be a multiple of ${node.multipleOf}`));
    }
  }
  if (Array.isArray(value)) {
    if (node.maxItems !== undefined && value.length > node.maxItems) errs.push(field.tooMany(path, value.length, node.maxItems));
    if (node.minItems !== undefined && value.length < node.minItems) {
      errs.push(field.invalid(path, value.length, `${path} in body should have at least ${node.minItems} items`));
    }
    if (node.items) value.forEach((item, i) => validateValue(item, node.items!, `${path}[${i}]`, errs));
  }
  if (isObject(value)) {
    const count = Object.keys(value).length;
    if (node.maxProperties !== undefined && count > node.maxProperties) errs.push(field.tooMany(path, count, node.maxProperties));
    if (node.minProperties !== undefined && count < node.minProperties) {
      errs.push(field.invalid(path, count, `${path} in body should have at least ${node.minProperties} properties`));
    }
    for (const req of node.required) if (!(req in value)) errs.push(field.required(join(path, req)));
    for (const [key, v] of Object.entries(value)) {
      const child = node.properties?.get(key);
      if (child) validateValue(v, child, join(path, key), errs);
      else if (node.additionalProperties && node.additionalProperties !== true) validateValue(v, node.additionalProperties, join(path, key), errs);
    }
  }
}

function validateListTypes(value: Json, node: Node, path: string, errs: FieldError[]): void {
  if (Array.isArray(value)) {
    if (node.listType === 'set') {
      value.forEach((item, i) => {
        if (value.slice(0, i).some((prev) => deepEqual(prev, item))) errs.push(field.duplicate(`${path}[${i}]`, item));
      });
    } else if (node.listType === 'map' && node.listMapKeys) {
      const keys = node.listMapKeys;
      const keyOf = (item: Json): JsonObject => {
        const out: JsonObject = {};
        if (isObject(item)) for (const k of keys) if (k in item) out[k] = item[k]!;
        return out;
      };
      value.forEach((item, i) => {
        const key = keyOf(item);
        if (value.slice(0, i).some((prev) => deepEqual(keyOf(prev), key))) errs.push(field.duplicate(`${path}[${i}]`, key));
      });
    }
    if (node.items) value.forEach((item, i) => validateListTypes(item, node.items!, `${path}[${i}]`, errs));
  } else if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      const child = node.properties?.get(key) ?? (node.additionalProperties !== true ? node.additionalProperties : undefined);
      if (child) validateListTypes(v, child, join(path, key), errs);
    }
  }
}

function validateRules(value: Json, node: Node, path: string, errs: FieldError[]): void {
  for (const rule of node.rules) {
    const target = rule.fieldPath ? `${path}${rule.fieldPath}` : path;
    let ok: boolean;
    try {
      ok = rule.program.evaluate(value);
    } catch (err) {
      if (!(err instanceof CelRuntimeError)) throw err;
      errs.push(field.invalid(target, jsonType(value), `${err.message} evaluating rule: ${rule.program.rule}`));
      continue;
    }
    if (ok) continue;
    const detail = rule.message ?? `failed rule: ${rule.program.rule}`;
    switch (rule.reason) {
      case 'FieldValueRequired':
        errs.push(field.required(target, detail));
        break;
      case 'FieldValueForbidden':
        errs.push(field.forbidden(target, detail));
        break;
      case 'FieldValueDuplicate':
        errs.push({ ...field.duplicate(target, jsonType(value)), detail });
        break;
      default:
        errs.push(field.invalid(target, jsonType(value), detail));
    }
  }
  if (Array.isArray(value) && node.items) value.forEach((item, i) => validateRules(item, node.items!, `${path}[${i}]`, errs));
  else if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      const child = node.properties?.get(key) ?? (node.additionalProperties !== true ? node.additionalProperties : undefined);
      if (child) validateRules(v, child, join(path, key), errs);
    }
  }
}
