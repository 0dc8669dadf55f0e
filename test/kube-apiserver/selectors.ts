// Label and field selectors with the grammar and matching rules of
// k8s.io/apimachinery/pkg/labels and pkg/fields.
import { badRequest } from './errors.ts';

type LabelOp = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

export interface LabelSelector {
  readonly empty: boolean;
  matches(labels: Record<string, string> | undefined): boolean;
}

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function validateLabelKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return `prefix part must be a DNS-1123 subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

function requirementError(detail: string): never {
  throw badRequest(`unable to parse requirement: ${detail}`);
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of input) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function parseRequirement(raw: string): LabelRequirement {
  const text = raw.trim();
  if (text.length === 0) requirementError(`found '', expected: !, identifier, or 'end of string'`);
  let m = /^!\s*([^\s=!<>(),]+)$/.exec(text);
  if (m) return checked({ key: m[1]!, op: '!', values: [] });
  m = /^([^\s=!<>(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (m) {
    const inner = m[3]!.trim();
    const values = inner === '' ? [] : inner.split(',').map((v) => v.trim());
    return checked({ key: m[1]!, op: m[2] as 'in' | 'notin', values });
  }
  m = /^([^\s=!<>(),]+)\s*(==|=|!=|>|<)\s*([^\s=!<>(),]*)$/.exec(text);
  if (m) {
    const op = m[2] === '==' || m[2] === '=' ? '=' : m[2] === '!=' ? '!=' : m[2] === '>' ? 'gt' : 'lt';
    return checked({ key: m[1]!, op, values: [m[3]!] });
  }
  m = /^([^\s=!<>(),]+)$/.exec(text);
  if (m) return checked({ key: m[1]!, op: 'exists', values: [] });
  return requirementError(`found '${text}', expected: valid label selector`);
}

function checked(req: LabelRequirement): LabelRequirement {
  const keyError = validateLabelKey(req.key);
  if (keyError) throw badRequest(`unable to parse requirement: values[0][${req.key}]: Invalid value: "${req.key}": ${keyError}`);
  if (req.op === 'gt' || req.op === 'lt') {
    if (!/^-?\d+$/.test(req.values[0] ?? '')) requirementError(`for 'Gt', 'Lt' operators, the value must be an integer`);
  } else {
    for (const v of req.values) {
      if (v.length > 63 || !LABEL_VALUE.test(v)) {
        throw badRequest(`unable to parse requirement: values[0][${req.key}]: Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`);
      }
    }
    if (req.op === 'in' || req.op === 'notin') {
      if (req.values.length === 0) requirementError(`for 'in', 'notin' operators, values set can't be empty`);
    }
  }
  return req;
}

function matchRequirement(req: LabelRequirement, labels: Record<string, string> | undefined): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = has ? labels[req.key]! : undefined;
  switch (req.op) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
    case 'in':
      return has && req.values.includes(value!);
    case '!=':
    case 'notin':
      return !has || !req.values.includes(value!);
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value!)) return false;
      const n = Number(value);
      const bound = Number(req.values[0]);
      return req.op === 'gt' ? n > bound : n < bound;
    }
  }
}

export function parseLabelSelector(input: string | undefined | null): LabelSelector {
  const text = (input ?? '').trim();
  if (text === '') return { empty: true, matches: () => true };
  const requirements = splitTopLevel(text).map(parseRequirement);
  return {
    empty: false,
    matches: (labels) => requirements.every((r) => matchRequirement(r, labels)),
  };
}

// ---------------------------------------------------------------------------

interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  readonly empty: boolean;
  readonly requirements: readonly FieldRequirement[];
  matches(fields: Record<string, string>): boolean;
}

function unescapeFieldValue(value: string): string {
  return value.replace(/\\([\\,=])/g, '$1');
}

/**
 * Parses a field selector and checks every field against the resource's
 * supported set; an unsupported field is a 400, like the real field-label
 * conversion functions answer.
 */
export function parseFieldSelector(input: string | undefined | null, supported: ReadonlySet<string>): FieldSelector {
  const text = (input ?? '').trim();
  if (text === '') return { empty: true, requirements: [], matches: () => true };
  const requirements: FieldRequirement[] = [];
  for (const part of text.split(/(?<!\\),/)) {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const fieldName = m[1]!;
    if (!supported.has(fieldName)) throw badRequest(`field label not supported: ${fieldName}`);
    requirements.push({ field: fieldName, op: m[2] === '!=' ? '!=' : '=', value: unescapeFieldValue(m[3]!) });
  }
  return {
    empty: false,
    requirements,
    matches: (fields) => requirements.every((r) => (r.op === '=' ? fields[r.field] === r.value : fields[r.field] !== r.value)),
  };
}
