// Renders charts/cdn-cert-sync the way `helm template` / `helm install`
// would, with the Go-template subset in gotemplate.ts: values.yaml merged
// with overrides (Helm's coalescing: maps merge, null deletes a key),
// validated against values.schema.json like Helm does, then every template
// rendered with .Values/.Release/.Chart/.Capabilities.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { Engine, isMap } from './gotemplate.ts';

export const repoRoot = join(import.meta.dirname, '..', '..', '..');
export const chartDir = join(repoRoot, 'charts', 'cdn-cert-sync');

export type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: unknown;
};

export interface RenderOptions {
  values?: Record<string, unknown>;
  releaseName?: string;
  namespace?: string;
}

export interface Rendered {
  /** Rendered text by template path (templates/x.yaml), NOTES.txt included. */
  files: Map<string, string>;
  /** Every non-empty YAML document of the rendered templates, in file order. */
  objects: Obj[];
  values: Record<string, unknown>;
}

export class ValuesError extends Error {}

export function chartMeta(): Record<string, unknown> {
  return parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
}

export function defaultValues(): Record<string, unknown> {
  return parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
}

export function valuesSchema(): object {
  return JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as object;
}

export function templateFiles(): string[] {
  return readdirSync(join(chartDir, 'templates'))
    .filter((f) => /\.(ya?ml|tpl|txt)$/.test(f))
    .sort();
}

/** Helm's coalescing of user values over chart defaults. */
export function coalesce(base: unknown, override: unknown): unknown {
  if (!isMap(base) || !isMap(override)) return override === undefined ? structuredClone(base) : structuredClone(override);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(override)) {
    if (v === null) delete out[k];
    else out[k] = coalesce(out[k], v);
  }
  return out;
}

let validator: ReturnType<Ajv['compile']> | undefined;

/** Validates values like Helm does with values.schema.json; returns the error messages. */
export function schemaErrors(values: unknown): string[] {
  validator ??= new Ajv({ allErrors: true, strict: true }).compile(valuesSchema());
  if (validator(values)) return [];
  return (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}

function capitalizeKeys(meta: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(meta).map(([k, v]) => [k === 'apiVersion' ? 'APIVersion' : k[0]?.toUpperCase() + k.slice(1), v]));
}

export function renderChart(opts: RenderOptions = {}): Rendered {
  const values = coalesce(defaultValues(), opts.values ?? {}) as Record<string, unknown>;
  const errors = schemaErrors(values);
  if (errors.length > 0) throw new ValuesError(`values don't meet the specifications of the schema: ${errors.join('; ')}`);
  const engine = new Engine();
  const files = templateFiles();
  for (const f of files) engine.add(`templates/${f}`, readFileSync(join(chartDir, 'templates', f), 'utf8'));
  const base = {
    Values: values,
    Release: { Name: opts.releaseName ?? 'cdn-cert-sync', Namespace: opts.namespace ?? 'cdn-cert-sync', Service: 'Helm', IsInstall: true, IsUpgrade: false, Revision: 1 },
    Chart: capitalizeKeys(chartMeta()),
    Capabilities: { KubeVersion: { Version: 'v1.30.0', Major: '1', Minor: '30', GitVersion: 'v1.30.0' } },
  };
  const out = new Map<string, string>();
  const objects: Obj[] = [];
  for (const f of files) {
    if (f.startsWith('_')) continue;
    const name = `templates/${f}`;
    const text = engine.render(name, { ...base, Template: { Name: `cdn-cert-sync/${name}`, BasePath: 'cdn-cert-sync/templates' } });
    out.set(name, text);
    if (f.endsWith('.txt')) continue;
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${name}: rendered YAML is invalid: ${doc.errors[0]?.message}\n${text}`);
      const obj = doc.toJS() as Obj | null;
      if (obj !== null) objects.push(obj);
    }
  }
  return { files: out, objects, values };
}

export function find(objects: Obj[], kind: string, name?: string): Obj[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

export function one(objects: Obj[], kind: string, name?: string): Obj {
  const hits = find(objects, kind, name);
  if (hits.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${hits.length}`);
  return hits[0] as Obj;
}
