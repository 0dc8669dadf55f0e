// deploy/install.yaml must be what `kubectl apply -k deploy/` installs, and
// test/tools/render-install.ts must behave like kustomize on what deploy/
// uses. Where a kubectl binary is on PATH, its built-in kustomize is the
// reference; elsewhere those comparisons are skipped.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderedCrd } from '../tools/manifests.ts';
import { CLUSTER_SCOPED, kustomizeBuild, legacySort, renderInstall, type KubeObject } from '../tools/render-install.ts';
import { repoRoot } from './lib/chart.ts';

const deployDir = join(repoRoot, 'deploy');

function kubectlKustomize(dir: string): KubeObject[] | undefined {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 20_000 });
  if (r.error || r.status !== 0) return undefined;
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 20_000 }).status === 0;

describe('deploy/install.yaml', () => {
  it('is the rendering of deploy/kustomization.yaml (regenerate: node_modules/.bin/node test/tools/render-install.ts > deploy/install.yaml)', () => {
    expect(readFileSync(join(deployDir, 'install.yaml'), 'utf8')).toBe(renderInstall());
  });

  it('holds the whole install in kustomize order, in namespace cdn-cert-sync', () => {
    const objs = parseAllDocuments(readFileSync(join(deployDir, 'install.yaml'), 'utf8'))
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => o !== null);
    expect(objs.map((o) => o.kind)).toEqual([
      'Namespace',
      'CustomResourceDefinition',
      'ServiceAccount',
      'Role',
      'ClusterRole',
      'RoleBinding',
      'ClusterRoleBinding',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
    ]);
    for (const o of objs) {
      if (CLUSTER_SCOPED.has(o.kind)) expect(o.metadata.namespace, `${o.kind} is cluster-scoped`).toBeUndefined();
      else expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe('cdn-cert-sync');
    }
    expect(objs[0]?.metadata.name).toBe('cdn-cert-sync');
  });

  it('carries the generated CRD (deploy/crds/ is a copy of crds/; run npm run generate)', () => {
    const crdFile = 'cdn-cert-sync.io_cdncertificatebindings.yaml';
    const copy = readFileSync(join(deployDir, 'crds', crdFile), 'utf8');
    expect(copy).toBe(readFileSync(join(repoRoot, 'crds', crdFile), 'utf8'));
    expect(copy).toBe(renderedCrd());
    const fromInstall = kustomizeBuild(deployDir).find((o) => o.kind === 'CustomResourceDefinition');
    expect(fromInstall).toEqual(parseAllDocuments(copy).map((d) => d.toJS()).find(Boolean));
  });

  it.skipIf(!hasKubectl)('matches `kubectl kustomize deploy/` (kubectl on PATH)', () => {
    expect(kustomizeBuild(deployDir)).toEqual(kubectlKustomize(deployDir));
  });

  it.skipIf(!hasKubectl)('matches `kubectl kustomize deploy/namespaced/` (kubectl on PATH)', () => {
    const dir = join(deployDir, 'namespaced');
    expect(kustomizeBuild(dir)).toEqual(kubectlKustomize(dir));
  });
});

describe('render-install.ts behaves like kustomize', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ccs-kustomize-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  const fixture = (files: Record<string, string>): string => {
    const dir = join(tmp, String(n++));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  };
  const kust = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
  const sa = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: op\n  namespace: old\n';
  const crb =
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: op\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: op}\n' +
    'subjects:\n- {kind: ServiceAccount, name: op, namespace: old}\n- {kind: ServiceAccount, name: default, namespace: elsewhere}\n- {kind: ServiceAccount, name: other, namespace: elsewhere}\n';
  const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

  it('refuses files outside the kustomization directory (load restrictor)', () => {
    const dir = fixture({ 'outside.yaml': cm('x'), 'k/kustomization.yaml': kust('resources:\n  - ../outside.yaml\n') });
    expect(() => kustomizeBuild(join(dir, 'k'))).toThrow(/not in or below/);
  });

  it('refuses a base that contains the overlay (cycle)', () => {
    const dir = fixture({ 'kustomization.yaml': kust('resources:\n  - a.yaml\n'), 'a.yaml': cm('a'), 'overlay/kustomization.yaml': kust('resources:\n  - ../\n') });
    expect(() => kustomizeBuild(join(dir, 'overlay'))).toThrow(/cycle detected/);
  });

  it('refuses kustomization fields it does not implement', () => {
    const dir = fixture({ 'kustomization.yaml': kust('commonLabels:\n  a: b\nresources:\n  - a.yaml\n'), 'a.yaml': cm('a') });
    expect(() => kustomizeBuild(dir)).toThrow(/not supported/);
  });

  it('namespace: sets namespaced objects, leaves cluster-scoped ones, fixes ServiceAccount subjects', () => {
    const dir = fixture({ 'kustomization.yaml': kust('namespace: new\nresources:\n  - sa.yaml\n  - crb.yaml\n'), 'sa.yaml': sa, 'crb.yaml': crb });
    const [account, binding] = kustomizeBuild(dir);
    expect(account?.metadata.namespace).toBe('new');
    expect(binding?.metadata.namespace).toBeUndefined();
    // The build's own ServiceAccount follows it; `default` is always set; any other subject is left alone.
    expect(binding?.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'op', namespace: 'new' },
      { kind: 'ServiceAccount', name: 'default', namespace: 'new' },
      { kind: 'ServiceAccount', name: 'other', namespace: 'elsewhere' },
    ]);
  });

  it('patches: $patch delete and JSON 6902 add; a patch matching nothing is an error', () => {
    const base = fixture({ 'kustomization.yaml': kust('resources:\n  - a.yaml\n'), 'a.yaml': `${cm('a')}data:\n  k: v\n---\n${cm('b')}` });
    const overlay = fixture({
      'kustomization.yaml': kust(
        `resources:\n  - ${base}\npatches:\n  - patch: |-\n      $patch: delete\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: b\n` +
          '  - target: {version: v1, kind: ConfigMap, name: a}\n    patch: |-\n      - op: add\n        path: /data/extra\n        value: "1"\n',
      ),
    });
    expect(kustomizeBuild(overlay)).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v', extra: '1' } }]);
    const bad = fixture({ 'kustomization.yaml': kust(`resources:\n  - ${base}\npatches:\n  - patch: |-\n      $patch: delete\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: zzz\n`) });
    expect(() => kustomizeBuild(bad)).toThrow(/matches nothing/);
  });

  it('sorts like kustomize legacy order: listed kinds first, others by group_version_kind, then namespace and name', () => {
    const obj = (apiVersion: string, kind: string, name: string, namespace?: string): KubeObject => ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });
    const sorted = legacySort([
      obj('apps/v1', 'Deployment', 'd'),
      obj('example.com/v1', 'Widget', 'w'),
      obj('v1', 'Service', 'b', 'y'),
      obj('v1', 'Service', 'a', 'z'),
      obj('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'v'),
      obj('v1', 'Namespace', 'n'),
      obj('batch/v1', 'Job', 'j'),
    ]);
    expect(sorted.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/n',
      'Service/b',
      'Service/a',
      'Deployment/d',
      'Job/j',
      'Widget/w',
      'ValidatingWebhookConfiguration/v',
    ]);
  });
});
