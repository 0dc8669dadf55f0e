import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROVIDERS } from '../../src/providers/catalog.ts';
import { compileCel } from '../kube-apiserver/cel.ts';
import { CRD_FILES, renderedCrd } from '../tools/manifests.ts';

const root = join(import.meta.dirname, '..', '..');

type Schema = { description?: string; properties?: Record<string, Schema>; items?: Schema; type?: string };

/** Every property path below `schema` that lacks a description (what `kubectl explain` would show empty). */
function undocumented(schema: Schema, path: string): string[] {
  const out: string[] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const here = `${path}.${name}`;
    if (!child.description && !['apiVersion', 'kind', 'metadata'].includes(name)) out.push(here);
    out.push(...undocumented(child, here));
    if (child.items) out.push(...undocumented(child.items, `${here}[]`));
  }
  return out;
}

describe('CustomResourceDefinition', () => {
  for (const file of CRD_FILES) {
    it(`${file} is what src/api/v1alpha1 generates (run npm run generate)`, () => {
      expect(readFileSync(join(root, file), 'utf8')).toBe(renderedCrd());
    });
  }

  const crd = parse(renderedCrd());
  const version = crd.spec.versions[0];
  const schema = version.schema.openAPIV3Schema;

  it('has the fixed names, scope and status subresource', () => {
    expect(crd.metadata.name).toBe('cdncertificatebindings.cdn-cert-sync.io');
    expect(crd.spec.names).toMatchObject({ kind: 'CdnCertificateBinding', plural: 'cdncertificatebindings', shortNames: ['ccb'] });
    expect(crd.spec.scope).toBe('Namespaced');
    expect(version.name).toBe('v1alpha1');
    expect(version.subresources).toEqual({ status: {} });
  });

  it('documents every field for kubectl explain', () => {
    expect(undocumented(schema.properties.spec, 'spec')).toEqual([]);
    expect(undocumented(schema.properties.status, 'status')).toEqual([]);
  });

  it('is structural: no anyOf/const left from TypeBox, every node typed', () => {
    const text = JSON.stringify(schema);
    expect(text).not.toContain('"anyOf"');
    expect(text).not.toContain('"const"');
    const untyped: string[] = [];
    const walk = (s: Schema, path: string) => {
      if (!s.type) untyped.push(path);
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${path}.${k}`);
      if (s.items) walk(s.items, `${path}[]`);
    };
    walk(schema, '');
    expect(untyped).toEqual([]);
  });

  it('enforces exactly one provider, whichever are registered, with a readable CEL message', () => {
    const rules = schema.properties.spec['x-kubernetes-validations'] as Array<{ rule: string; message: string }>;
    expect(rules).toHaveLength(1);
    const names = PROVIDERS.map((m) => m.name);
    for (const n of names) expect(rules[0]!.message).toContain(`spec.${n}`);
    const program = compileCel(rules[0]!.rule);
    // Every subset of the provider fields: admitted exactly when it has one member.
    for (let mask = 0; mask < 1 << names.length; mask++) {
      const spec = Object.fromEntries(names.flatMap((n, i) => (mask & (1 << i) ? [[n, {}]] : [])));
      expect(program.evaluate({ secretName: 'tls', ...spec }), JSON.stringify(spec)).toBe(Object.keys(spec).length === 1);
    }
  });

  it('has no namespace field anywhere in spec', () => {
    expect(JSON.stringify(schema.properties.spec)).not.toMatch(/"namespace"/);
  });

  it('prints Provider, Ready, Reason, Expires (as a string) and Age', () => {
    expect(version.additionalPrinterColumns.map((c: { name: string; type: string }) => `${c.name}:${c.type}`)).toEqual([
      'Provider:string',
      'Ready:string',
      'Reason:string',
      'Expires:string',
      'Age:date',
    ]);
  });
});
