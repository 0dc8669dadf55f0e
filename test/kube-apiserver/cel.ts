// A deliberately tiny evaluator for the CEL rules in x-kubernetes-validations:
// field presence (`has(self.a.b)`), field access on `self`, literals, `==`,
// `!=`, `!`, `&&`, `||` and parentheses. Anything else is rejected when the
// CRD is created, so an unsupported rule can never silently pass.
import { deepEqual, isObject } from './objects.ts';

export class UnsupportedCelError extends Error {
  constructor(rule: string, why: string) {
    super(`test kube-apiserver: unsupported x-kubernetes-validations rule ${JSON.stringify(rule)}: ${why}. ` + 'Extend test/kube-apiserver/cel.ts to support it.');
    this.name = 'UnsupportedCelError';
  }
}

/** A CEL runtime error, such as selecting a field that is not there. */
export class CelRuntimeError extends Error {}

type Expr =
  | { kind: 'literal'; value: unknown }
  | { kind: 'select'; path: string[] }
  | { kind: 'has'; path: string[] }
  | { kind: 'not'; operand: Expr }
  | { kind: 'binary'; op: '==' | '!=' | '&&' | '||'; left: Expr; right: Expr };

type Token = { type: 'ident' | 'op' | 'string' | 'number'; text: string };

function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < rule.length) {
    const ch = rule[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const two = rule.slice(i, i + 2);
    if (['==', '!=', '&&', '||'].includes(two)) {
      tokens.push({ type: 'op', text: two });
      i += 2;
      continue;
    }
    if ('!().'.includes(ch)) {
      tokens.push({ type: 'op', text: ch });
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const end = rule.indexOf(ch, i + 1);
      if (end < 0) throw new UnsupportedCelError(rule, 'unterminated string');
      const body = rule.slice(i + 1, end);
      if (body.includes('\\')) throw new UnsupportedCelError(rule, 'escape sequences in strings');
      tokens.push({ type: 'string', text: body });
      i = end + 1;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rule.slice(i));
    if (ident) {
      tokens.push({ type: 'ident', text: ident[0] });
      i += ident[0].length;
      continue;
    }
    const num = /^-?\d+(?![.\d])/.exec(rule.slice(i));
    if (num) {
      tokens.push({ type: 'number', text: num[0] });
      i += num[0].length;
      continue;
    }
    throw new UnsupportedCelError(rule, `unexpected character ${JSON.stringify(ch)} at ${i}`);
  }
  return tokens;
}

class Parser {
  private pos = 0;
  private readonly rule: string;
  private readonly tokens: Token[];

  constructor(rule: string, tokens: Token[]) {
    this.rule = rule;
    this.tokens = tokens;
  }

  parse(): Expr {
    const expr = this.or();
    if (this.pos < this.tokens.length) this.fail(`unexpected ${JSON.stringify(this.tokens[this.pos]!.text)}`);
    return expr;
  }

  private fail(why: string): never {
    throw new UnsupportedCelError(this.rule, why);
  }

  private peek(text: string): boolean {
    const t = this.tokens[this.pos];
    return t !== undefined && t.type === 'op' && t.text === text;
  }

  private expect(text: string): void {
    if (!this.peek(text)) this.fail(`expected ${JSON.stringify(text)}`);
    this.pos++;
  }

  private or(): Expr {
    let left = this.and();
    while (this.peek('||')) {
      this.pos++;
      left = { kind: 'binary', op: '||', left, right: this.and() };
    }
    return left;
  }

  private and(): Expr {
    let left = this.equality();
    while (this.peek('&&')) {
      this.pos++;
      left = { kind: 'binary', op: '&&', left, right: this.equality() };
    }
    return left;
  }

  private equality(): Expr {
    let left = this.unary();
    while (this.peek('==') || this.peek('!=')) {
      const op = this.tokens[this.pos++]!.text as '==' | '!=';
      left = { kind: 'binary', op, left, right: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    if (this.peek('!')) {
      this.pos++;
      return { kind: 'not', operand: this.unary() };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.tokens[this.pos];
    if (t === undefined) this.fail('unexpected end of rule');
    if (t.type === 'op' && t.text === '(') {
      this.pos++;
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    if (t.type === 'string') {
      this.pos++;
      return { kind: 'literal', value: t.text };
    }
    if (t.type === 'number') {
      this.pos++;
      return { kind: 'literal', value: Number(t.text) };
    }
    if (t.type === 'ident') {
      if (t.text === 'true' || t.text === 'false') {
        this.pos++;
        return { kind: 'literal', value: t.text === 'true' };
      }
      if (t.text === 'null') {
        this.pos++;
        return { kind: 'literal', value: null };
      }
      if (t.text === 'has') {
        this.pos++;
        this.expect('(');
        const path = this.selection();
        this.expect(')');
        if (path.length === 0) this.fail('has() needs a field selection such as has(self.field)');
        return { kind: 'has', path };
      }
      if (t.text === 'self') return { kind: 'select', path: this.selection() };
      this.fail(`identifier ${JSON.stringify(t.text)} (only self, has(), true, false and null are supported)`);
    }
    this.fail(`unexpected ${JSON.stringify(t.text)}`);
  }

  private selection(): string[] {
    const t = this.tokens[this.pos];
    if (t?.type !== 'ident' || t.text !== 'self') this.fail('expected self');
    this.pos++;
    const path: string[] = [];
    while (this.peek('.')) {
      this.pos++;
      const ident = this.tokens[this.pos];
      if (ident?.type !== 'ident') this.fail('expected a field name after "."');
      path.push(ident.text);
      this.pos++;
    }
    if (this.peek('(')) this.fail('function and method calls');
    return path;
  }
}

function select(self: unknown, path: string[]): unknown {
  let value = self;
  for (const name of path) {
    if (!isObject(value) || !(name in value)) throw new CelRuntimeError(`no such key: ${name}`);
    value = value[name];
  }
  return value;
}

function evaluate(expr: Expr, self: unknown): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'select':
      return select(self, expr.path);
    case 'has': {
      const parent = select(self, expr.path.slice(0, -1));
      if (!isObject(parent)) throw new CelRuntimeError('invalid type for field selection.');
      return expr.path[expr.path.length - 1]! in parent;
    }
    case 'not': {
      const v = evaluate(expr.operand, self);
      if (typeof v !== 'boolean') throw new CelRuntimeError("no such overload: !_");
      return !v;
    }
    case 'binary': {
      if (expr.op === '&&' || expr.op === '||') {
        const l = evaluate(expr.left, self);
        if (typeof l !== 'boolean') throw new CelRuntimeError(`no such overload: _${expr.op}_`);
        if (expr.op === '&&' && !l) return false;
        if (expr.op === '||' && l) return true;
        const r = evaluate(expr.right, self);
        if (typeof r !== 'boolean') throw new CelRuntimeError(`no such overload: _${expr.op}_`);
        return r;
      }
      const l = evaluate(expr.left, self);
      const r = evaluate(expr.right, self);
      const equal = deepEqual(l, r);
      return expr.op === '==' ? equal : !equal;
    }
  }
}

export interface CelProgram {
  readonly rule: string;
  /** True when the rule holds; throws CelRuntimeError on evaluation errors. */
  evaluate(self: unknown): boolean;
}

/** Compiles a rule or throws UnsupportedCelError. */
export function compileCel(rule: string): CelProgram {
  if (/\boldSelf\b/.test(rule)) throw new UnsupportedCelError(rule, 'transition rules (oldSelf)');
  const expr = new Parser(rule, tokenize(rule)).parse();
  return {
    rule,
    evaluate(self: unknown): boolean {
      const result = evaluate(expr, self);
      if (typeof result !== 'boolean') throw new CelRuntimeError('rule did not evaluate to a bool');
      return result;
    },
  };
}
