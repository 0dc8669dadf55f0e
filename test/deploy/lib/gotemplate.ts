// A small interpreter for the subset of Go text/template + Sprig + Helm
// functions the chart uses, so that tests can render the chart without the
// helm binary. It follows Go's semantics where a chart author can trip:
// whitespace trimming ({{- -}}), variable scoping, nil field access errors,
// `<no value>` for missing keys (which Helm then blanks), and comparisons
// between int and float64 (values parsed from YAML are float64 in Helm, so
// `gt .Values.replicaCount 1` fails there and must be `gt (int ...) 1`).
// Anything outside the subset throws instead of guessing.
import { stringify } from 'yaml';

/** A Go `int` (template integer literals, `int`, `len`); plain JS numbers are float64 like Helm's values. */
export class GoInt {
  readonly value: number;
  constructor(value: number) {
    this.value = Math.trunc(value);
  }
}

export class TemplateError extends Error {}

type Value = unknown;

// ---------------------------------------------------------------- lexing

interface TextItem {
  kind: 'text';
  text: string;
}
interface ActionItem {
  kind: 'action';
  body: string;
  trimLeft: boolean;
  trimRight: boolean;
  where: string;
}
type Item = TextItem | ActionItem;

const SPACE = /[ \t\r\n]/;

/** Splits a template into text and actions; comments are dropped (their trim markers still apply). */
export function splitTemplate(src: string, name: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  const lineOf = (pos: number) => src.slice(0, pos).split('\n').length;
  for (;;) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      items.push({ kind: 'text', text: src.slice(i) });
      break;
    }
    items.push({ kind: 'text', text: src.slice(i, open) });
    let k = open + 2;
    const trimLeft = src[k] === '-' && SPACE.test(src[k + 1] ?? '');
    if (trimLeft) k += 2;
    const where = `${name}:${lineOf(open)}`;
    // Find the closing delimiter, skipping string, raw string and char literals, and comments.
    let p = k;
    while (p < src.length && SPACE.test(src[p] ?? '')) p++;
    if (src.startsWith('/*', p)) {
      const end = src.indexOf('*/', p + 2);
      if (end < 0) throw new TemplateError(`${where}: unclosed comment`);
      p = end + 2;
      const rest = /^( -)?\}\}/.exec(src.slice(p));
      if (!rest) throw new TemplateError(`${where}: comment ends before closing delimiter`);
      const trimRight = Boolean(rest[1]);
      items.push({ kind: 'action', body: '', trimLeft, trimRight, where });
      i = p + rest[0].length;
      continue;
    }
    let close = -1;
    for (p = k; p < src.length; p++) {
      const c = src[p];
      if (c === '"') {
        for (p++; p < src.length && src[p] !== '"'; p++) {
          if (src[p] === '\\') p++;
          if (src[p] === '\n') throw new TemplateError(`${where}: unterminated quoted string`);
        }
      } else if (c === '`') {
        p = src.indexOf('`', p + 1);
        if (p < 0) throw new TemplateError(`${where}: unterminated raw string`);
      } else if (c === "'") {
        for (p++; p < src.length && src[p] !== "'"; p++) if (src[p] === '\\') p++;
      } else if (c === '}' && src[p + 1] === '}') {
        close = p;
        break;
      } else if (c === '{' && src[p + 1] === '{') {
        throw new TemplateError(`${where}: unexpected "{{" inside an action`);
      }
    }
    if (close < 0) throw new TemplateError(`${where}: unclosed action`);
    let body = src.slice(k, close);
    const trimRight = close - 2 >= k && src[close - 1] === '-' && SPACE.test(src[close - 2] ?? '');
    if (trimRight) body = body.slice(0, -2);
    items.push({ kind: 'action', body, trimLeft, trimRight, where });
    i = close + 2;
  }
  // Apply trim markers to the neighbouring text.
  for (let n = 0; n < items.length; n++) {
    const item = items[n];
    if (item?.kind !== 'action') continue;
    const before = items[n - 1];
    const after = items[n + 1];
    if (item.trimLeft && before?.kind === 'text') before.text = before.text.replace(/[ \t\r\n]+$/, '');
    if (item.trimRight && after?.kind === 'text') after.text = after.text.replace(/^[ \t\r\n]+/, '');
  }
  return items;
}

// ---------------------------------------------------------------- tokens and parsing

type Token =
  | { t: 'str'; v: string }
  | { t: 'num'; v: Value }
  | { t: 'bool'; v: boolean }
  | { t: 'nil' }
  | { t: 'var'; name: string; chain: string[] }
  | { t: 'field'; chain: string[] }
  | { t: 'dot' }
  | { t: 'ident'; name: string }
  | { t: 'chain'; chain: string[] }
  | { t: 'punct'; v: '(' | ')' | '|' | ',' | ':=' | '=' };

function tokenize(body: string, where: string): Token[] {
  const out: Token[] = [];
  let p = 0;
  const s = body;
  while (p < s.length) {
    const c = s[p] ?? '';
    if (SPACE.test(c)) {
      p++;
      continue;
    }
    const rest = s.slice(p);
    let m: RegExpExecArray | null;
    if (c === '"') {
      m = /^"(?:[^"\\]|\\.)*"/.exec(rest);
      if (!m) throw new TemplateError(`${where}: bad string literal`);
      out.push({ t: 'str', v: JSON.parse(m[0]) as string });
      p += m[0].length;
    } else if (c === '`') {
      const end = s.indexOf('`', p + 1);
      out.push({ t: 'str', v: s.slice(p + 1, end) });
      p = end + 1;
    } else if (c === '(' || c === ')' || c === '|' || c === ',') {
      out.push({ t: 'punct', v: c });
      p++;
      // A field chain right after ")" applies to the parenthesised value.
      if (c === ')' && (m = /^(\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(s.slice(p)))) {
        out.push({ t: 'chain', chain: m[0].split('.').slice(1) });
        p += m[0].length;
      }
    } else if (rest.startsWith(':=')) {
      out.push({ t: 'punct', v: ':=' });
      p += 2;
    } else if (c === '=') {
      out.push({ t: 'punct', v: '=' });
      p++;
    } else if ((m = /^\$[A-Za-z0-9_]*((\.[A-Za-z_][A-Za-z0-9_]*)*)/.exec(rest))) {
      const [name, ...chain] = m[0].split('.');
      out.push({ t: 'var', name: name ?? '$', chain });
      p += m[0].length;
    } else if ((m = /^(\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(rest))) {
      out.push({ t: 'field', chain: m[0].split('.').slice(1) });
      p += m[0].length;
    } else if (c === '.') {
      out.push({ t: 'dot' });
      p++;
    } else if ((m = /^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?/.exec(rest))) {
      const text = m[0];
      out.push({ t: 'num', v: /[.eE]/.test(text) ? Number(text) : new GoInt(Number(text)) });
      p += text.length;
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) {
      const name = m[0];
      if (name === 'true' || name === 'false') out.push({ t: 'bool', v: name === 'true' });
      else if (name === 'nil') out.push({ t: 'nil' });
      else out.push({ t: 'ident', name });
      p += name.length;
    } else {
      throw new TemplateError(`${where}: unexpected character ${JSON.stringify(c)} in action`);
    }
  }
  return out;
}

type Operand =
  | { t: 'lit'; v: Value }
  | { t: 'nil' }
  | { t: 'dot' }
  | { t: 'field'; chain: string[] }
  | { t: 'var'; name: string; chain: string[] }
  | { t: 'ident'; name: string }
  | { t: 'sub'; pipe: Pipeline; chain: string[] };

interface Pipeline {
  decl: string[];
  assign: boolean;
  cmds: Operand[][];
  where: string;
}

function parsePipeline(tokens: Token[], where: string): Pipeline {
  let pos = 0;
  const decl: string[] = [];
  let assign = false;
  // Declarations: $x := / $x = / $i, $v :=
  const look = tokens.findIndex((t) => t.t === 'punct' && (t.v === ':=' || t.v === '='));
  if (look > 0 && tokens.slice(0, look).every((t) => (t.t === 'var' && t.chain.length === 0) || (t.t === 'punct' && t.v === ','))) {
    for (const t of tokens.slice(0, look)) if (t.t === 'var') decl.push(t.name);
    assign = (tokens[look] as { v: string }).v === '=';
    pos = look + 1;
  }
  const parseCmds = (stopAtParen: boolean): Operand[][] => {
    const cmds: Operand[][] = [];
    let cmd: Operand[] = [];
    for (; pos < tokens.length; pos++) {
      const t = tokens[pos] as Token;
      if (t.t === 'punct' && t.v === ')') {
        if (!stopAtParen) throw new TemplateError(`${where}: unexpected )`);
        break;
      }
      if (t.t === 'punct' && t.v === '|') {
        if (cmd.length === 0) throw new TemplateError(`${where}: missing command before |`);
        cmds.push(cmd);
        cmd = [];
        continue;
      }
      if (t.t === 'punct' && t.v === '(') {
        pos++;
        const inner = parseCmds(true);
        if ((tokens[pos] as Token | undefined)?.t !== 'punct') throw new TemplateError(`${where}: unclosed (`);
        const next = tokens[pos + 1];
        let chain: string[] = [];
        if (next?.t === 'chain') {
          chain = next.chain;
          pos++;
        }
        cmd.push({ t: 'sub', pipe: { decl: [], assign: false, cmds: inner, where }, chain });
        continue;
      }
      switch (t.t) {
        case 'str':
        case 'num':
        case 'bool':
          cmd.push({ t: 'lit', v: t.v });
          break;
        case 'nil':
          cmd.push({ t: 'nil' });
          break;
        case 'dot':
          cmd.push({ t: 'dot' });
          break;
        case 'field':
          cmd.push({ t: 'field', chain: t.chain });
          break;
        case 'var':
          cmd.push({ t: 'var', name: t.name, chain: t.chain });
          break;
        case 'ident':
          cmd.push({ t: 'ident', name: t.name });
          break;
        default:
          throw new TemplateError(`${where}: unexpected token ${JSON.stringify(t)}`);
      }
    }
    if (cmd.length === 0) throw new TemplateError(`${where}: missing command`);
    cmds.push(cmd);
    return cmds;
  };
  const cmds = parseCmds(false);
  return { decl, assign, cmds, where };
}

type Node =
  | { t: 'text'; s: string }
  | { t: 'action'; pipe: Pipeline }
  | { t: 'if' | 'with'; pipe: Pipeline; body: Node[]; else: Node[] | undefined }
  | { t: 'range'; pipe: Pipeline; body: Node[]; else: Node[] | undefined }
  | { t: 'template'; name: string; pipe: Pipeline | undefined; where: string };

interface Parsed {
  nodes: Node[];
  defines: Map<string, Node[]>;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

export function parseTemplate(src: string, name: string): Parsed {
  const items = splitTemplate(src, name);
  const defines = new Map<string, Node[]>();
  let idx = 0;

  // Parses nodes until an {{end}} or {{else ...}} at this level; returns the terminator.
  const parseList = (): { nodes: Node[]; term: { word: 'end' | 'else' | 'eof'; rest: Token[]; where: string } } => {
    const nodes: Node[] = [];
    while (idx < items.length) {
      const item = items[idx++] as Item;
      if (item.kind === 'text') {
        if (item.text) nodes.push({ t: 'text', s: item.text });
        continue;
      }
      if (item.body.trim() === '') continue; // comment
      const tokens = tokenize(item.body, item.where);
      const first = tokens[0];
      const word = first?.t === 'ident' && KEYWORDS.has(first.name) ? first.name : undefined;
      const rest = tokens.slice(1);
      switch (word) {
        case undefined:
          nodes.push({ t: 'action', pipe: parsePipeline(tokens, item.where) });
          break;
        case 'end':
          return { nodes, term: { word: 'end', rest, where: item.where } };
        case 'else':
          return { nodes, term: { word: 'else', rest, where: item.where } };
        case 'if':
        case 'with':
        case 'range':
          nodes.push(parseControl(word, rest, item.where));
          break;
        case 'define': {
          const nameTok = rest[0];
          if (nameTok?.t !== 'str' || rest.length !== 1) throw new TemplateError(`${item.where}: define needs one string name`);
          const body = parseList();
          if (body.term.word !== 'end') throw new TemplateError(`${item.where}: define ${nameTok.v} not closed by end`);
          defines.set(nameTok.v, body.nodes);
          break;
        }
        case 'template': {
          const nameTok = rest[0];
          if (nameTok?.t !== 'str') throw new TemplateError(`${item.where}: template needs a string name`);
          const pipeTokens = rest.slice(1);
          nodes.push({ t: 'template', name: nameTok.v, pipe: pipeTokens.length ? parsePipeline(pipeTokens, item.where) : undefined, where: item.where });
          break;
        }
        default:
          throw new TemplateError(`${item.where}: {{${word}}} is not supported by this renderer`);
      }
    }
    return { nodes, term: { word: 'eof', rest: [], where: `${name}:EOF` } };
  };

  const parseControl = (word: 'if' | 'with' | 'range', tokens: Token[], where: string): Node => {
    if (tokens.length === 0) throw new TemplateError(`${where}: missing value for ${word}`);
    const pipe = parsePipeline(tokens, where);
    const body = parseList();
    if (body.term.word === 'eof') throw new TemplateError(`${where}: unexpected EOF: {{${word}}} not closed`);
    let elseNodes: Node[] | undefined;
    if (body.term.word === 'else') {
      const rest = body.term.rest;
      const chained = rest[0]?.t === 'ident' && (rest[0].name === 'if' || rest[0].name === 'with') ? rest[0].name : undefined;
      if (chained) {
        // {{else if x}} / {{else with x}}: a nested control sharing our {{end}}.
        elseNodes = [parseControl(chained as 'if' | 'with', rest.slice(1), body.term.where)];
      } else {
        if (rest.length) throw new TemplateError(`${body.term.where}: unexpected tokens after else`);
        const alt = parseList();
        if (alt.term.word !== 'end') throw new TemplateError(`${where}: {{${word}}} else branch not closed by end`);
        elseNodes = alt.nodes;
      }
    } else if (body.term.rest.length) {
      throw new TemplateError(`${body.term.where}: unexpected tokens after end`);
    }
    return { t: word, pipe, body: body.nodes, else: elseNodes };
  };

  const top = parseList();
  if (top.term.word !== 'eof') throw new TemplateError(`${top.term.where}: unexpected {{${top.term.word}}}`);
  return { nodes: top.nodes, defines };
}

// ---------------------------------------------------------------- values

export function isMap(v: Value): v is Record<string, Value> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoInt);
}

export function truth(v: Value): boolean {
  if (v === undefined || v === null) return false;
  if (v instanceof GoInt) return v.value !== 0;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/**
 * Go's strconv.FormatFloat(f, 'g', -1, 64), which fmt's %v uses for float64:
 * shortest digits, and an exponent when it is < -4 or >= 6 (so a value of
 * 1000000 prints as 1e+06 in a Helm template).
 */
export function formatFloat(f: number): string {
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : f < 0 ? '-Inf' : 'NaN';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const m = /^(-?)(\d)(?:\.(\d+))?e([-+]\d+)$/.exec(f.toExponential());
  if (!m) return String(f);
  const e = Number(m[4]);
  if (e < -4 || e >= 6) {
    const digits = m[3] ? `${m[2]}.${m[3]}` : m[2];
    return `${m[1]}${digits}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(f);
}

function strval(v: Value): string {
  if (typeof v === 'string') return v;
  if (v instanceof GoInt) return String(v.value);
  if (typeof v === 'number') return formatFloat(v);
  if (typeof v === 'boolean') return String(v);
  if (v === undefined || v === null) return '<nil>';
  throw new TemplateError(`cannot format ${JSON.stringify(v)} as a string here`);
}

/** How `{{ x }}` prints a value. */
function printValue(v: Value, where: string): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'object' && !(v instanceof GoInt)) {
    throw new TemplateError(`${where}: printing a ${Array.isArray(v) ? 'list' : 'map'} directly gives Go syntax (map[...]); use toYaml`);
  }
  return strval(v);
}

function kindOf(v: Value): string {
  if (v instanceof GoInt) return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v === undefined || v === null) return 'nil';
  return 'complex';
}

function basic(v: Value): number | string | boolean {
  if (v instanceof GoInt) return v.value;
  return v as number | string | boolean;
}

function compareKinds(a: Value, b: Value, op: string): void {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'complex' || kb === 'complex') throw new TemplateError(`${op}: non-comparable type`);
  if (ka !== kb) throw new TemplateError(`${op}: incompatible types for comparison (${ka} and ${kb})`);
}

function lessThan(a: Value, b: Value, op: string): boolean {
  compareKinds(a, b, op);
  if (kindOf(a) === 'bool' || kindOf(a) === 'nil') throw new TemplateError(`${op}: invalid type for comparison`);
  return (basic(a) as number | string) < (basic(b) as number | string);
}

function toInt(v: Value): GoInt {
  if (v instanceof GoInt) return v;
  if (typeof v === 'number') return new GoInt(v);
  if (typeof v === 'string') {
    const n = Number.parseInt(v, 10);
    return new GoInt(Number.isNaN(n) ? 0 : n);
  }
  if (typeof v === 'boolean') return new GoInt(v ? 1 : 0);
  return new GoInt(0);
}

/** Values as JSON-able data for toYaml/toJson (GoInt → number). */
function plain(v: Value): Value {
  if (v instanceof GoInt) return v.value;
  if (Array.isArray(v)) return v.map(plain);
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Helm's toYaml: sigs.k8s.io/yaml (JSON round trip, so map keys sorted), trailing newline dropped. */
export function toYaml(v: Value): string {
  const data = plain(v);
  if (data === undefined || data === null) return 'null';
  return stringify(data, { version: '1.1', sortMapEntries: true, indentSeq: false, lineWidth: 0 }).replace(/\n$/, '');
}

function sprintf(format: string, args: Value[]): string {
  let n = 0;
  return format.replace(/%([-+# 0]*\d*(?:\.\d+)?)([%sdvqt])/g, (_m, _flags: string, verb: string) => {
    if (verb === '%') return '%';
    const a = args[n++];
    switch (verb) {
      case 's':
        if (typeof a !== 'string') throw new TemplateError(`printf %s with a ${kindOf(a)} argument`);
        return a;
      case 'd':
        if (!(a instanceof GoInt)) throw new TemplateError(`printf %d with a ${kindOf(a)} argument (use int)`);
        return String(a.value);
      case 'q':
        return JSON.stringify(strval(a));
      case 't':
        return String(a);
      default:
        return strval(a);
    }
  });
}

// ---------------------------------------------------------------- evaluation

interface Scope {
  vars: Array<{ name: string; value: Value }>;
}

export type Funcs = Record<string, (...args: Value[]) => Value>;

export class Engine {
  readonly defines = new Map<string, Node[]>();
  readonly #files = new Map<string, Node[]>();
  #depth = 0;

  /** Parses a file, collecting its defines; later files' defines win, like Helm's sorted load. */
  add(name: string, src: string): void {
    const parsed = parseTemplate(src, name);
    for (const [k, v] of parsed.defines) this.defines.set(k, v);
    this.#files.set(name, parsed.nodes);
  }

  render(name: string, data: Value): string {
    const nodes = this.#files.get(name);
    if (!nodes) throw new TemplateError(`no template file ${name}`);
    return this.#exec(nodes, data, { vars: [{ name: '$', value: data }] }).replaceAll('<no value>', '');
  }

  include(name: string, data: Value): string {
    const nodes = this.defines.get(name);
    if (!nodes) throw new TemplateError(`include: no template "${name}" associated with template`);
    if (++this.#depth > 100) throw new TemplateError(`include: recursion too deep for ${name}`);
    try {
      return this.#exec(nodes, data, { vars: [{ name: '$', value: data }] });
    } finally {
      this.#depth--;
    }
  }

  #funcs(): Funcs {
    const self = this;
    return {
      include: (name, data) => self.include(name as string, data),
      required: (msg, v) => {
        if (v === undefined || v === null || v === '') throw new TemplateError(String(msg));
        return v;
      },
      fail: (msg) => {
        throw new TemplateError(`execution error: ${String(msg)}`);
      },
      toYaml: (v) => toYaml(v),
      toJson: (v) => JSON.stringify(plain(v) ?? null),
      nindent: (n, s) => `\n${indent(toInt(n).value, String(s))}`,
      indent: (n, s) => indent(toInt(n).value, String(s)),
      quote: (...args) => args.filter((a) => a !== undefined && a !== null).map((a) => JSON.stringify(strval(a))).join(' '),
      squote: (...args) => args.filter((a) => a !== undefined && a !== null).map((a) => `'${strval(a)}'`).join(' '),
      default: (def, ...rest) => {
        const given = rest.length ? rest[rest.length - 1] : undefined;
        return empty(given) ? def : given;
      },
      empty: (v) => empty(v),
      coalesce: (...args) => args.find((a) => !empty(a)),
      ternary: (a, b, cond) => (truth(cond) ? a : b),
      trunc: (n, s) => {
        const c = toInt(n).value;
        const str = String(s);
        if (c < 0 && str.length + c > 0) return str.slice(str.length + c);
        if (c >= 0 && str.length > c) return str.slice(0, c);
        return str;
      },
      trimSuffix: (suffix, s) => (String(s).endsWith(String(suffix)) && suffix !== '' ? String(s).slice(0, -String(suffix).length) : String(s)),
      trimPrefix: (prefix, s) => (String(s).startsWith(String(prefix)) ? String(s).slice(String(prefix).length) : String(s)),
      trim: (s) => String(s).trim(),
      replace: (from, to, s) => String(s).replaceAll(String(from), String(to)),
      lower: (s) => String(s).toLowerCase(),
      upper: (s) => String(s).toUpperCase(),
      contains: (sub, s) => String(s).includes(String(sub)),
      hasPrefix: (prefix, s) => String(s).startsWith(String(prefix)),
      hasSuffix: (suffix, s) => String(s).endsWith(String(suffix)),
      printf: (format, ...args) => sprintf(String(format), args),
      print: (...args) => args.map((a) => (typeof a === 'string' ? a : strval(a))).join(''),
      toString: (v: Value) => strval(v),
      int: (v) => toInt(v),
      len: (v) => {
        if (typeof v === 'string') return new GoInt(Buffer.byteLength(v));
        if (Array.isArray(v)) return new GoInt(v.length);
        if (isMap(v)) return new GoInt(Object.keys(v).length);
        throw new TemplateError(`len of ${kindOf(v)}`);
      },
      eq: (a, ...rest) => {
        if (rest.length === 0) throw new TemplateError('eq: missing argument for comparison');
        return rest.some((b) => {
          compareKinds(a, b, 'eq');
          return basic(a) === basic(b);
        });
      },
      ne: (a, b) => {
        compareKinds(a, b, 'ne');
        return basic(a) !== basic(b);
      },
      lt: (a, b) => lessThan(a, b, 'lt'),
      le: (a, b) => lessThan(a, b, 'le') || (compareKinds(a, b, 'le'), basic(a) === basic(b)),
      gt: (a, b) => lessThan(b, a, 'gt'),
      ge: (a, b) => lessThan(b, a, 'ge') || (compareKinds(a, b, 'ge'), basic(a) === basic(b)),
      not: (v) => !truth(v),
      list: (...args) => [...args],
      append: (l, v) => {
        if (!Array.isArray(l)) throw new TemplateError(`append to a ${kindOf(l)}`);
        return [...l, v];
      },
      has: (needle, haystack) => Array.isArray(haystack) && haystack.some((x) => x === needle),
      uniq: (l) => (Array.isArray(l) ? l.filter((x, i) => l.indexOf(x) === i) : l),
      join: (sep, l) => (Array.isArray(l) ? l.map((x) => strval(x)).join(String(sep)) : strval(l)),
      dict: (...args) => {
        const out: Record<string, Value> = {};
        for (let i = 0; i < args.length; i += 2) out[strval(args[i])] = args[i + 1] ?? '';
        return out;
      },
      hasKey: (m, k) => isMap(m) && Object.hasOwn(m, String(k)),
      index: (m, ...keys) => {
        let cur: Value = m;
        for (const k of keys) {
          if (Array.isArray(cur)) cur = cur[toInt(k).value];
          else if (isMap(cur)) cur = cur[String(k)];
          else throw new TemplateError('index of untyped nil');
        }
        return cur;
      },
    };
  }

  #exec(nodes: Node[], dot: Value, scope: Scope): string {
    let out = '';
    for (const node of nodes) {
      switch (node.t) {
        case 'text':
          out += node.s;
          break;
        case 'action': {
          const v = this.#pipeline(node.pipe, dot, scope);
          if (node.pipe.decl.length === 0) out += printValue(v, node.pipe.where);
          break;
        }
        case 'if':
        case 'with': {
          const mark = scope.vars.length;
          const v = this.#pipeline(node.pipe, dot, scope);
          if (truth(v)) out += this.#exec(node.body, node.t === 'with' ? v : dot, scope);
          else if (node.else) out += this.#exec(node.else, dot, scope);
          scope.vars.length = mark;
          break;
        }
        case 'range': {
          const mark = scope.vars.length;
          const decl = node.pipe.decl;
          const v = this.#pipeline({ ...node.pipe, decl: [] }, dot, scope);
          const entries: Array<[Value, Value]> = Array.isArray(v)
            ? v.map((x, i) => [new GoInt(i), x])
            : isMap(v)
              ? Object.keys(v)
                  .sort()
                  .map((k) => [k, v[k]])
              : v === undefined || v === null
                ? []
                : (() => {
                    throw new TemplateError(`${node.pipe.where}: range can't iterate over ${kindOf(v)}`);
                  })();
          if (entries.length === 0) {
            if (node.else) out += this.#exec(node.else, dot, scope);
          } else {
            for (const [k, x] of entries) {
              const inner = scope.vars.length;
              if (decl.length === 1) scope.vars.push({ name: decl[0] as string, value: x });
              if (decl.length === 2) scope.vars.push({ name: decl[0] as string, value: k }, { name: decl[1] as string, value: x });
              out += this.#exec(node.body, x, scope);
              scope.vars.length = inner;
            }
          }
          scope.vars.length = mark;
          break;
        }
        case 'template': {
          const data = node.pipe ? this.#pipeline(node.pipe, dot, scope) : undefined;
          out += this.include(node.name, data);
          break;
        }
      }
    }
    return out;
  }

  #pipeline(pipe: Pipeline, dot: Value, scope: Scope): Value {
    let value: Value;
    let first = true;
    for (const cmd of pipe.cmds) {
      value = this.#command(cmd, dot, scope, first ? [] : [value], pipe.where);
      first = false;
    }
    if (pipe.decl.length > 0) {
      const name = pipe.decl[0] as string;
      if (pipe.assign) {
        const slot = [...scope.vars].reverse().find((v) => v.name === name);
        if (!slot) throw new TemplateError(`${pipe.where}: undefined variable ${name}`);
        slot.value = value;
      } else {
        scope.vars.push({ name, value });
      }
    }
    return value;
  }

  #command(cmd: Operand[], dot: Value, scope: Scope, piped: Value[], where: string): Value {
    const head = cmd[0] as Operand;
    if (head.t === 'ident') {
      const name = head.name;
      if (name === 'and' || name === 'or') {
        const thunks = [...cmd.slice(1).map((o) => () => this.#operand(o, dot, scope, where)), ...piped.map((p) => () => p)];
        if (thunks.length === 0) throw new TemplateError(`${where}: ${name} needs arguments`);
        let last: Value;
        for (const th of thunks) {
          last = th();
          if (name === 'and' ? !truth(last) : truth(last)) return last;
        }
        return last;
      }
      const fn = this.#funcs()[name];
      if (!fn) throw new TemplateError(`${where}: function "${name}" not defined (in this renderer)`);
      const args = [...cmd.slice(1).map((o) => this.#operand(o, dot, scope, where)), ...piped];
      try {
        return fn(...args);
      } catch (err) {
        if (err instanceof TemplateError && !err.message.startsWith(where)) throw new TemplateError(`${where}: ${name}: ${err.message}`);
        throw err;
      }
    }
    if (cmd.length > 1 || piped.length > 0) throw new TemplateError(`${where}: can't give argument to non-function`);
    return this.#operand(head, dot, scope, where);
  }

  #operand(o: Operand, dot: Value, scope: Scope, where: string): Value {
    switch (o.t) {
      case 'lit':
        return o.v;
      case 'nil':
        return null;
      case 'dot':
        return dot;
      case 'field':
        return walk(dot, o.chain, where, '.');
      case 'var': {
        const slot = [...scope.vars].reverse().find((v) => v.name === o.name);
        if (!slot) throw new TemplateError(`${where}: undefined variable: ${o.name}`);
        return walk(slot.value, o.chain, where, o.name);
      }
      case 'sub':
        return walk(this.#pipeline(o.pipe, dot, scope), o.chain, where, '(...)');
      case 'ident':
        return this.#command([o], dot, scope, [], where);
    }
  }
}

function walk(v: Value, chain: string[], where: string, base: string): Value {
  let cur = v;
  let path = base;
  for (const key of chain) {
    if (cur === undefined || cur === null) throw new TemplateError(`${where}: nil pointer evaluating interface {}.${key} (${path})`);
    if (!isMap(cur)) throw new TemplateError(`${where}: can't evaluate field ${key} in type ${kindOf(cur)} (${path})`);
    cur = cur[key];
    path += `.${key}`;
  }
  return cur;
}

function indent(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return pad + s.replaceAll('\n', `\n${pad}`);
}

function empty(v: Value): boolean {
  return !truth(v);
}
