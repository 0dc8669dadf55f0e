// The Go-template renderer the chart tests rely on: where Go and Helm
// behave in ways a chart author can trip over, it must behave the same.
import { describe, expect, it } from 'vitest';
import { Engine, formatFloat, TemplateError } from './lib/gotemplate.ts';

function render(src: string, data: unknown = {}, helpers = ''): string {
  const e = new Engine();
  if (helpers) e.add('_helpers.tpl', helpers);
  e.add('t', src);
  return e.render('t', data);
}

describe('Go template semantics', () => {
  it('trims whitespace at {{- and -}} only', () => {
    expect(render('a  \n  {{- "b" -}}  \n  c')).toBe('abc');
    expect(render('a {{ "b" }} c')).toBe('a b c');
    expect(render('a {{-3}}')).toBe('a -3');
  });

  it('if/else if/else, with, range over lists and maps (sorted keys), with else', () => {
    const data = { Values: { a: 0, b: 'x', list: ['p', 'q'], map: { z: 1, a: 2 }, empty: [] } };
    expect(render('{{ if .Values.a }}A{{ else if .Values.b }}B{{ else }}C{{ end }}', data)).toBe('B');
    expect(render('{{ with .Values.b }}[{{ . }}]{{ end }}', data)).toBe('[x]');
    expect(render('{{ range $i, $v := .Values.list }}{{ $i }}={{ $v }};{{ end }}', data)).toBe('0=p;1=q;');
    expect(render('{{ range $k, $v := .Values.map }}{{ $k }}={{ $v }};{{ end }}', data)).toBe('a=2;z=1;');
    expect(render('{{ range .Values.empty }}x{{ else }}none{{ end }}', data)).toBe('none');
  });

  it('$ is the root inside range and with; variables are scoped and assignable', () => {
    const data = { Release: { Name: 'r' }, Values: { list: [1, 2] } };
    expect(render('{{ range .Values.list }}{{ $.Release.Name }}{{ end }}', data)).toBe('rr');
    expect(render('{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}', data)).toBe('2');
    expect(() => render('{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}', data)).toThrow(/undefined variable/);
  });

  it('a missing key prints nothing (Helm blanks <no value>), a field of nil is an error', () => {
    expect(render('[{{ .Values.missing }}]', { Values: {} })).toBe('[]');
    expect(() => render('{{ .Values.missing.key }}', { Values: {} })).toThrow(/nil pointer evaluating/);
  });

  it('values from YAML are float64: comparing them with an int literal fails, as in Helm', () => {
    const data = { Values: { replicaCount: 2 } };
    expect(() => render('{{ if gt .Values.replicaCount 1 }}x{{ end }}', data)).toThrow(/incompatible types/);
    expect(render('{{ if gt (int .Values.replicaCount) 1 }}x{{ end }}', data)).toBe('x');
    expect(() => render('{{ if eq .Values.replicaCount 2 }}x{{ end }}', data)).toThrow(/incompatible types/);
  });

  it('prints float64 like Go: large numbers in exponent form', () => {
    expect(render('{{ .Values.a }} {{ .Values.b }} {{ .Values.c }} {{ int .Values.c }}', { Values: { a: 8080, b: 0.5, c: 1000000 } })).toBe('8080 0.5 1e+06 1000000');
    expect(formatFloat(123456789)).toBe('1.23456789e+08');
    expect(formatFloat(0.00001)).toBe('1e-05');
  });

  it('printing a map or list directly is refused (Go would print map[...])', () => {
    expect(() => render('{{ .Values }}', { Values: { a: 1 } })).toThrow(TemplateError);
  });

  it('raw strings keep {{ }} for Prometheus templates', () => {
    expect(render('{{ `{{ $labels.name }}` }}')).toBe('{{ $labels.name }}');
    expect(render('{{ `a "b" {{ $x }}` | quote }}')).toBe('"a \\"b\\" {{ $x }}"');
  });

  it('include, nindent, toYaml (sorted keys, YAML 1.1 quoting), default, quote, trunc, printf', () => {
    const helpers = '{{- define "n" -}}{{ .Values.name | default "dflt" | trunc 5 | trimSuffix "-" }}{{- end }}';
    expect(render('x: {{ include "n" . }}', { Values: { name: 'abcd-efgh' } }, helpers)).toBe('x: abcd');
    expect(render('x: {{ include "n" . }}', { Values: {} }, helpers)).toBe('x: dflt');
    expect(render('m:{{ toYaml .Values.m | nindent 2 }}', { Values: { m: { b: 'y', a: [1, 'on'] } } })).toBe('m:\n  a:\n  - 1\n  - "on"\n  b: "y"');
    expect(render('{{ printf "%s-%d" "a" (int 3) | quote }}')).toBe('"a-3"');
    expect(() => render('{{ printf "%d" .Values.n }}', { Values: { n: 3 } })).toThrow(/printf %d/);
    expect(() => render('{{ include "nope" . }}')).toThrow(/no template "nope"/);
  });

  it('required and fail stop the render', () => {
    expect(() => render('{{ required "name is required" .Values.name }}', { Values: { name: '' } })).toThrow(/name is required/);
    expect(() => render('{{ fail "bad" }}')).toThrow(/bad/);
  });

  it('and/or short-circuit and return operands', () => {
    expect(render('{{ or .Values.a "b" }}', { Values: { a: '' } })).toBe('b');
    // Go >= 1.18: the second operand is not evaluated, so the nil field access does not fail.
    expect(render('[{{ and .Values.missing .Values.missing.b }}]', { Values: {} })).toBe('[]');
  });
});
