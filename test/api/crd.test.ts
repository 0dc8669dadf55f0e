import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
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

  it('enforces exactly one provider with a readable CEL message', () => {
    expect(schema.properties.spec['x-kubernetes-validations']).toEqual([
      { rule: 'has(self.alibaba) != has(self.tencent)', message: 'exactly one of spec.alibaba or spec.tencent must be set' },
    ]);
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
