// The kubectl install (deploy/) and the examples (deploy/examples/).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { kustomizeBuild } from '../tools/render-install.ts';
import { find, one, repoRoot, type Obj } from './lib/chart.ts';
import { checkOperatorPod, loadYamlDocs, operatorContainer, packageVersion, podLabels, podSpec, resolvedEnv, selector } from './lib/checks.ts';

const objs = kustomizeBuild(join(repoRoot, 'deploy')) as Obj[];
const deployment = one(objs, 'Deployment');

describe('deploy/: the operator pod', () => {
  it('follows the security, probe, resource and environment rules', () => {
    checkOperatorPod(deployment);
  });

  it('runs two replicas with leader election, spread over nodes', () => {
    expect((deployment.spec as { replicas: number }).replicas).toBe(2);
    const config = loadConfig(resolvedEnv(deployment));
    expect(config.leaderElect).toBe(true);
    expect(config.leaderElectionNamespace).toBe('cdn-cert-sync');
    expect(config.watchNamespaces).toEqual([]);
    const spread = (podSpec(deployment) as { topologySpreadConstraints?: Array<{ labelSelector: { matchLabels: Record<string, string> } }> }).topologySpreadConstraints;
    expect(spread?.[0]?.labelSelector.matchLabels).toEqual(selector(deployment));
  });

  it('uses the image of this package version (placeholder registry)', () => {
    expect(operatorContainer(deployment).image).toBe(`ghcr.io/cdn-cert-sync/cdn-cert-sync:${packageVersion}`);
    expect(readFileSync(join(repoRoot, 'deploy/operator/deployment.yaml'), 'utf8')).toMatch(/[Pp]laceholder registry/);
  });

  it('selects its own pods: Deployment, Service and PodDisruptionBudget selectors match the pod labels', () => {
    const labels = podLabels(deployment);
    for (const o of [deployment, one(objs, 'Service'), one(objs, 'PodDisruptionBudget')]) {
      const sel = selector(o);
      expect(Object.keys(sel).length, `${o.kind} selector`).toBeGreaterThan(0);
      expect(labels, `${o.kind} selector`).toMatchObject(sel);
    }
  });

  it('the metrics Service targets the metrics port', () => {
    const svc = one(objs, 'Service');
    const ports = (svc.spec as { ports: Array<{ name: string; port: number; targetPort: string }> }).ports;
    expect(ports).toEqual([{ name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' }]);
    expect(operatorContainer(deployment).ports?.map((p) => p.name)).toContain('metrics');
  });

  it('keeps one pod through voluntary disruptions', () => {
    expect((one(objs, 'PodDisruptionBudget').spec as { minAvailable: number }).minAvailable).toBe(1);
  });

  it('runs as the ServiceAccount that the bindings grant to', () => {
    expect(podSpec(deployment).serviceAccountName).toBe(one(objs, 'ServiceAccount').metadata.name);
  });

  it('enforces the restricted Pod Security Standard on its namespace', () => {
    expect(one(objs, 'Namespace').metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });
});

describe('deploy/namespaced/', () => {
  it('is the same install plus WATCH_NAMESPACE, still with a valid configuration', () => {
    const ns = kustomizeBuild(join(repoRoot, 'deploy/namespaced')) as Obj[];
    const d = one(ns, 'Deployment');
    checkOperatorPod(d);
    const config = loadConfig(resolvedEnv(d));
    expect(config.watchNamespaces).toEqual(['team-a', 'team-b']);
    const { env: _a, ...restNamespaced } = operatorContainer(d);
    const { env: _b, ...restDefault } = operatorContainer(deployment);
    expect(restNamespaced).toEqual(restDefault);
    expect(find(ns, 'CustomResourceDefinition')).toHaveLength(1);
  });
});

describe('deploy/examples/', () => {
  const crd = loadYamlDocs(join(repoRoot, 'crds/cdn-cert-sync.io_cdncertificatebindings.yaml'))[0] as Obj;
  const version = (crd.spec as { versions: Array<{ name: string; schema: { openAPIV3Schema: object } }> }).versions[0];
  const validate = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(version?.schema.openAPIV3Schema ?? {});
  // The keys each provider reads from a credentials Secret (CRD: spec.credentialsSecretRef).
  const REQUIRED_KEYS: Record<string, string[]> = { alibaba: ['accessKeyId', 'accessKeySecret'], tencent: ['secretId', 'secretKey'] };
  const OPTIONAL_KEYS: Record<string, string[]> = { alibaba: ['securityToken'], tencent: ['token'] };

  for (const provider of ['alibaba', 'tencent'] as const) {
    describe(`${provider}.yaml`, () => {
      const docs = loadYamlDocs(join(repoRoot, 'deploy/examples', `${provider}.yaml`));
      const certificate = one(docs, 'Certificate');
      const secret = one(docs, 'Secret');
      const binding = one(docs, 'CdnCertificateBinding');
      const spec = binding.spec as Record<string, unknown> & { secretName: string; credentialsSecretRef?: { name: string } };

      it('holds a cert-manager Certificate, a credentials Secret and a binding, with no namespace set', () => {
        expect(docs.map((d) => `${d.apiVersion} ${d.kind}`)).toEqual(['cert-manager.io/v1 Certificate', 'v1 Secret', 'cdn-cert-sync.io/v1alpha1 CdnCertificateBinding']);
        for (const d of docs) expect(d.metadata.namespace, `${d.kind} leaves the namespace to kubectl -n`).toBeUndefined();
      });

      it('the binding is valid against the CRD schema, with exactly one provider', () => {
        expect(validate(binding), JSON.stringify(validate.errors)).toBe(true);
        expect(Object.keys(spec).filter((k) => k === 'alibaba' || k === 'tencent')).toEqual([provider]);
      });

      it('the binding serves the Certificate Secret, and every target is covered by the certificate', () => {
        expect(spec.secretName).toBe((certificate.spec as { secretName: string }).secretName);
        const names = (certificate.spec as { dnsNames: string[] }).dnsNames;
        const targets = provider === 'alibaba' ? (spec.alibaba as { domains: string[] }).domains : (spec.tencent as { hosts: string[] }).hosts;
        const covered = (t: string) => names.some((n) => n === t || (n.startsWith('*.') && t.split('.').slice(1).join('.') === n.slice(2)));
        expect(targets.filter((t) => !covered(t))).toEqual([]);
      });

      it('the credentials Secret has exactly the keys the provider reads, with placeholder values', () => {
        expect(spec.credentialsSecretRef?.name).toBe(secret.metadata.name);
        const data = secret.stringData as Record<string, string>;
        const keys = Object.keys(data);
        expect(keys.filter((k) => !(REQUIRED_KEYS[provider] ?? []).includes(k) && !(OPTIONAL_KEYS[provider] ?? []).includes(k))).toEqual([]);
        for (const k of REQUIRED_KEYS[provider] ?? []) expect(keys).toContain(k);
        const text = readFileSync(join(repoRoot, 'deploy/examples', `${provider}.yaml`), 'utf8');
        for (const k of keys) expect(text).toMatch(new RegExp(`${k}: \\S+ # placeholder`));
      });
    });
  }

  it('the Certificates name a cert-manager issuer', () => {
    for (const file of ['alibaba.yaml', 'tencent.yaml']) {
      const cert = one(loadYamlDocs(join(repoRoot, 'deploy/examples', file)), 'Certificate').spec as { issuerRef: { kind: string; name: string; group: string } };
      expect(cert.issuerRef).toMatchObject({ group: 'cert-manager.io', kind: 'ClusterIssuer' });
    }
  });
});
