// Typed decoding of built-in objects, standing in for Go's encoding/json into
// the API structs: wrong JSON types, bad base64 and unparseable timestamps are
// 400 BadRequest; unknown fields are dropped; metav1.Time and MicroTime are
// re-rendered the way Go marshals them.
import { badRequest } from './errors.ts';
import { isObject, type Json, type JsonObject } from './objects.ts';

export type FieldType =
  | 'string'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'time'
  | 'microtime'
  | 'bytes'
  | 'any'
  | { map: FieldType }
  | { list: FieldType }
  | StructType;

export interface StructType {
  struct: string;
  fields: Record<string, FieldType>;
}

class DecodeError extends Error {}

function jsonKind(value: Json): string {
  if (Array.isArray(value)) return 'array';
  if (isObject(value)) return 'object';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

function goTypeName(t: FieldType): string {
  if (typeof t === 'string') {
    switch (t) {
      case 'bytes':
        return '[]uint8';
      case 'time':
        return 'v1.Time';
      case 'microtime':
        return 'v1.MicroTime';
      case 'any':
        return 'interface {}';
      default:
        return t;
    }
  }
  if ('map' in t) return `map[string]${goTypeName(t.map)}`;
  if ('list' in t) return `[]${goTypeName(t.list)}`;
  return `v1.${t.struct}`;
}

// --- Go time parsing for the two layouts the API uses ----------------------

const RFC3339 = ['2006', '-', '01', '-', '02', 'T', '15', ':', '04', ':', '05', 'Z07:00'];
const RFC3339_MICRO = ['2006', '-', '01', '-', '02', 'T', '15', ':', '04', ':', '05', '.000000', 'Z07:00'];

interface ParsedTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  fraction: string;
  offsetMinutes: number;
}

/** Returns the parsed time or Go's error text (`parsing time "x" as "layout": cannot parse ...`). */
function goParseTime(value: string, layout: string[]): ParsedTime | string {
  const layoutText = layout.join('');
  let rest = value;
  const t: ParsedTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, fraction: '', offsetMinutes: 0 };
  const fail = (elem: string) => `parsing time ${JSON.stringify(value)} as ${JSON.stringify(layoutText)}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(elem)}`;
  for (let i = 0; i < layout.length; i++) {
    const elem = layout[i]!;
    const digits = (n: number): number | undefined => {
      const m = new RegExp(`^\\d{${n}}`).exec(rest);
      if (!m) return undefined;
      rest = rest.slice(n);
      return Number(m[0]);
    };
    switch (elem) {
      case '2006': {
        const v = digits(4);
        if (v === undefined) return fail(elem);
        t.year = v;
        break;
      }
      case '01':
      case '02':
      case '15':
      case '04':
      case '05': {
        const v = digits(2);
        if (v === undefined) return fail(elem);
        const key = ({ '01': 'month', '02': 'day', '15': 'hour', '04': 'minute', '05': 'second' } as const)[elem];
        t[key] = v;
        if (elem === '05' && layout[i + 1] !== '.000000') {
          // Go accepts a fractional second after the seconds even when the layout has none.
          const frac = /^\.(\d+)/.exec(rest);
          if (frac) {
            t.fraction = frac[1]!;
            rest = rest.slice(frac[0].length);
          }
        }
        break;
      }
      case '.000000': {
        const m = /^\.(\d{6})/.exec(rest);
        if (!m) return fail(elem);
        t.fraction = m[1]!;
        rest = rest.slice(7);
        break;
      }
      case 'Z07:00': {
        if (rest.startsWith('Z')) {
          rest = rest.slice(1);
          break;
        }
        const m = /^([+-])(\d{2}):(\d{2})/.exec(rest);
        if (!m) return fail(elem);
        t.offsetMinutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
        rest = rest.slice(6);
        break;
      }
      default:
        if (!rest.startsWith(elem)) return fail(elem);
        rest = rest.slice(elem.length);
    }
  }
  if (rest.length > 0) return `parsing time ${JSON.stringify(value)}: extra text: ${JSON.stringify(rest)}`;
  if (t.month < 1 || t.month > 12) return `parsing time ${JSON.stringify(value)}: month out of range`;
  if (t.day < 1 || t.day > new Date(Date.UTC(t.year, t.month, 0)).getUTCDate()) return `parsing time ${JSON.stringify(value)}: day out of range`;
  if (t.hour > 23) return `parsing time ${JSON.stringify(value)}: hour out of range`;
  if (t.minute > 59) return `parsing time ${JSON.stringify(value)}: minute out of range`;
  if (t.second > 59) return `parsing time ${JSON.stringify(value)}: second out of range`;
  return t;
}

function renderUtc(t: ParsedTime, fractionDigits: number): string {
  const ms = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) - t.offsetMinutes * 60_000;
  const base = new Date(ms).toISOString().slice(0, 19);
  if (fractionDigits === 0) return `${base}Z`;
  return `${base}.${t.fraction.padEnd(fractionDigits, '0').slice(0, fractionDigits)}Z`;
}

/** Go's base64.StdEncoding.DecodeString validity, with its error text. */
export function base64Error(value: string): string | undefined {
  // Fast path: well-formed input (the overwhelmingly common case) in one regex test.
  if (/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)) return undefined;
  const clean = value.replace(/[\r\n]/g, '');
  if (clean !== value && base64Error(clean) === undefined) return undefined;
  const illegal = /[^A-Za-z0-9+/=]/.exec(clean);
  const firstPad = clean.indexOf('=');
  if (illegal && (firstPad < 0 || illegal.index < firstPad)) return `illegal base64 data at input byte ${illegal.index}`;
  if (firstPad >= 0) {
    const tail = clean.slice(firstPad);
    if (!/^={1,2}$/.test(tail) || clean.length % 4 !== 0) return `illegal base64 data at input byte ${firstPad}`;
  }
  return `illegal base64 data at input byte ${Math.floor(clean.length / 4) * 4}`;
}

function decodeValue(value: Json, t: FieldType, path: string): Json | undefined {
  if (value === null) return undefined;
  const mismatch = (): never => {
    throw new DecodeError(`json: cannot unmarshal ${jsonKind(value)} into Go struct field ${path} of type ${goTypeName(t)}`);
  };
  if (typeof t === 'string') {
    switch (t) {
      case 'any':
        return value;
      case 'string':
        return typeof value === 'string' ? value : mismatch();
      case 'bool':
        return typeof value === 'boolean' ? value : mismatch();
      case 'int32':
      case 'int64':
        if (typeof value !== 'number' || !Number.isInteger(value)) return mismatch();
        if (t === 'int32' && (value > 2147483647 || value < -2147483648)) return mismatch();
        return value;
      case 'bytes': {
        if (typeof value !== 'string') return mismatch();
        const err = base64Error(value);
        if (err) throw new DecodeError(err);
        return value;
      }
      case 'time':
      case 'microtime': {
        if (typeof value !== 'string') return mismatch();
        if (value === '') return undefined;
        const parsed = goParseTime(value, t === 'time' ? RFC3339 : RFC3339_MICRO);
        if (typeof parsed === 'string') throw new DecodeError(parsed);
        return renderUtc(parsed, t === 'time' ? 0 : 6);
      }
    }
  }
  if ('map' in t) {
    if (!isObject(value)) return mismatch();
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const d = decodeValue(v, t.map, path);
      // A null map value decodes to the zero value of the element type.
      out[k] = d === undefined ? (t.map === 'string' || t.map === 'bytes' ? '' : null) : d;
    }
    return out;
  }
  if ('list' in t) {
    if (!Array.isArray(value)) return mismatch();
    return value.map((v) => decodeValue(v, t.list, path) ?? null);
  }
  if (!isObject(value)) return mismatch();
  return decodeStruct(value, t);
}

function decodeStruct(value: JsonObject, t: StructType): JsonObject {
  const out: JsonObject = {};
  for (const [key, ft] of Object.entries(t.fields)) {
    if (!(key in value)) continue;
    const d = decodeValue(value[key]!, ft, `${t.struct}.${key}`);
    if (d !== undefined) out[key] = d;
  }
  return out;
}

/**
 * Decodes a request body into `type`'s shape. Errors read like the real
 * server's: `Lease in version "v1" cannot be handled as a Lease: parsing time ...`.
 */
export function decodeTyped(body: JsonObject, kind: string, version: string, type: StructType): JsonObject {
  try {
    const out: JsonObject = {};
    if (typeof body.kind === 'string') out.kind = body.kind;
    if (typeof body.apiVersion === 'string') out.apiVersion = body.apiVersion;
    Object.assign(out, decodeStruct(body, type));
    return out;
  } catch (err) {
    if (err instanceof DecodeError) throw badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: ${err.message}`);
    throw err;
  }
}

export const OBJECT_META: StructType = {
  struct: 'ObjectMeta',
  fields: {
    name: 'string',
    generateName: 'string',
    namespace: 'string',
    selfLink: 'string',
    uid: 'string',
    resourceVersion: 'string',
    generation: 'int64',
    creationTimestamp: 'time',
    deletionTimestamp: 'time',
    deletionGracePeriodSeconds: 'int64',
    labels: { map: 'string' },
    annotations: { map: 'string' },
    ownerReferences: {
      list: {
        struct: 'OwnerReference',
        fields: { apiVersion: 'string', kind: 'string', name: 'string', uid: 'string', controller: 'bool', blockOwnerDeletion: 'bool' },
      },
    },
    finalizers: { list: 'string' },
    managedFields: { list: 'any' },
  },
};
