// The three patch formats kube-apiserver accepts in JSON: RFC 7386 merge
// patch, RFC 6902 JSON patch and strategic merge patch (built-in types only).
import { badRequest, patchRejected } from './errors.ts';
import { clone, deepEqual, isObject, type Json, type JsonObject } from './objects.ts';

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** RFC 7386. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key] ?? null, value);
  }
  return out;
}

// ---------------------------------------------------------------------------
// RFC 6902.

interface Operation {
  op: string;
  path?: string;
  from?: string;
  value?: Json;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw patchRejected();
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function containerFor(doc: Json, tokens: string[]): { parent: Json; last: string } {
  let node: Json = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) {
      const i = arrayIndex(token, node.length - 1);
      node = node[i]!;
    } else if (isObject(node) && token in node) node = node[token]!;
    else throw patchRejected();
  }
  return { parent: node, last: tokens[tokens.length - 1]! };
}

function arrayIndex(token: string, max: number): number {
  if (!/^(0|[1-9]\d*)$/.test(token)) throw patchRejected();
  const i = Number(token);
  if (i > max) throw patchRejected();
  return i;
}

function getAt(doc: Json, path: string): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const { parent, last } = containerFor(doc, tokens);
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length - 1)]!;
  if (isObject(parent) && last in parent) return parent[last]!;
  throw patchRejected();
}

function addAt(doc: Json, path: string, value: Json): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, last } = containerFor(doc, tokens);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : arrayIndex(last, parent.length);
    parent.splice(i, 0, value);
  } else if (isObject(parent)) parent[last] = value;
  else throw patchRejected();
  return doc;
}

function removeAt(doc: Json, path: string): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw patchRejected();
  const { parent, last } = containerFor(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length - 1), 1);
  else if (isObject(parent) && last in parent) delete parent[last];
  else throw patchRejected();
  return doc;
}

/** Parses the body of a JSON patch request; a malformed patch is a 400. */
export function parseJsonPatch(body: unknown): Operation[] {
  if (!Array.isArray(body)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  for (const op of body) {
    if (!isObject(op)) throw badRequest('json: cannot unmarshal into Go value of type jsonpatch.Operation');
  }
  return body as Operation[];
}

/** RFC 6902; any failing operation (including `test`) rejects the whole patch with 422. */
export function jsonPatch(target: Json, operations: Operation[]): Json {
  let doc = clone(target);
  for (const op of operations) {
    const path = op.path;
    if (typeof path !== 'string') throw patchRejected();
    switch (op.op) {
      case 'add':
        if (!('value' in op)) throw patchRejected();
        doc = addAt(doc, path, clone(op.value ?? null));
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace':
        if (!('value' in op)) throw patchRejected();
        getAt(doc, path);
        doc = removeAt(doc, path);
        doc = addAt(doc, path, clone(op.value ?? null));
        break;
      case 'move': {
        if (typeof op.from !== 'string') throw patchRejected();
        const value = getAt(doc, op.from);
        doc = removeAt(doc, op.from);
        doc = addAt(doc, path, value);
        break;
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw patchRejected();
        doc = addAt(doc, path, clone(getAt(doc, op.from)));
        break;
      }
      case 'test': {
        let actual: Json | undefined;
        try {
          actual = getAt(doc, path);
        } catch {
          actual = undefined;
        }
        if (actual === undefined || !deepEqual(actual, op.value ?? null)) throw patchRejected();
        break;
      }
      default:
        throw patchRejected();
    }
  }
  return doc;
}

// ---------------------------------------------------------------------------
// Strategic merge patch. Built-in types declare, per list field, whether the
// list merges (and by which key) or is replaced; the types served here have
// exactly these merging lists.

export interface ListStrategy {
  /** Primitive lists merge as sets; lists of objects merge by this key. */
  mergeKey?: string;
}

/** JSON path (dot-joined, no indices) → strategy, for lists with patchStrategy "merge". */
export type StrategicSchema = ReadonlyMap<string, ListStrategy>;

export const OBJECT_META_LISTS: ReadonlyArray<[string, ListStrategy]> = [
  ['metadata.finalizers', {}],
  ['metadata.ownerReferences', { mergeKey: 'uid' }],
];

const DIRECTIVE = '$patch';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const RETAIN_KEYS = '$retainKeys';

export function strategicMergePatch(target: Json, patch: Json, schema: StrategicSchema): Json {
  if (!isObject(patch)) throw badRequest('unable to find api field in struct for the patch: expected a JSON object');
  return smpObject(isObject(target) ? target : {}, patch, schema, '');
}

function smpObject(target: JsonObject, patch: JsonObject, schema: StrategicSchema, path: string): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive === 'replace') {
    const rest = { ...patch };
    delete rest[DIRECTIVE];
    return clone(rest);
  }
  if (directive === 'delete') return {};
  if (directive !== undefined) throw badRequest(`Unknown patch type: ${String(directive)}`);
  let out: JsonObject = { ...target };
  const retain = patch[RETAIN_KEYS];
  if (Array.isArray(retain)) {
    const keep = new Set(retain.map(String));
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === RETAIN_KEYS) continue;
    if (key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      const listKey = key.slice(DELETE_FROM_PRIMITIVE.length);
      const current = out[listKey];
      if (Array.isArray(current) && Array.isArray(value)) out[listKey] = current.filter((v) => !value.some((d) => deepEqual(d, v)));
      continue;
    }
    const childPath = path ? `${path}.${key}` : key;
    if (value === null) {
      delete out[key];
      continue;
    }
    const current = out[key];
    const strategy = schema.get(childPath);
    if (Array.isArray(value) && strategy) {
      out[key] = smpList(Array.isArray(current) ? current : [], value, strategy, schema, childPath);
    } else if (isObject(value)) {
      out[key] = smpObject(isObject(current) ? current : {}, value, schema, childPath);
    } else {
      out[key] = clone(value);
    }
  }
  return out;
}

function smpList(target: Json[], patch: Json[], strategy: ListStrategy, schema: StrategicSchema, path: string): Json[] {
  if (strategy.mergeKey === undefined) {
    // Set semantics for primitives: keep the existing order, append new values.
    const out = [...target];
    for (const v of patch) if (!out.some((e) => deepEqual(e, v))) out.push(clone(v));
    return out;
  }
  const key = strategy.mergeKey;
  const out = [...target];
  for (const item of patch) {
    if (!isObject(item)) continue;
    if (item[DIRECTIVE] === 'replace') return patch.map((p) => clone(p));
    const idx = out.findIndex((e) => isObject(e) && deepEqual(e[key], item[key]));
    if (item[DIRECTIVE] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = smpObject(out[idx] as JsonObject, item, schema, path);
    else out.push(clone(item));
  }
  return out;
}
