// The operator's permissions, whichever way it is installed: deploy/ (all
// namespaces), deploy/namespaced/, and the Helm chart in both modes. The
// table below is the documented least-privilege set; every install must
// grant exactly it, Secrets are never writable, and Leases only come from a
// Role in the operator's namespace.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kustomizeBuild } from '../tools/render-install.ts';
import { find, one, renderChart, repoRoot, type Obj } from './lib/chart.ts';
import { grants, loadYamlDocs, podSpec, resolvedEnv, type Rule } from './lib/checks.ts';

/** What the operator may do on bindings, Secrets and Events (deploy/rbac/cluster_role.yaml explains each). */
const OPERATOR_RULES: Rule[] = [
  { apiGroups: ['cdn-cert-sync.io'], resources: ['cdncertificatebindings'], verbs: ['get', 'list', 'watch', 'patch'] },
  { apiGroups: ['cdn-cert-sync.io'], resources: ['cdncertificatebindings/finalizers'], verbs: ['update'] },
  { apiGroups: ['cdn-cert-sync.io'], resources: ['cdncertificatebindings/status'], verbs: ['patch', 'update'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];

/** Leader election, in the operator's namespace only. */
const leaderRules = (lease: string): Rule[] => [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [lease], verbs: ['get', 'update'] },
];

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection', '*'];
const DANGEROUS_VERBS = ['escalate', 'bind', 'impersonate', '*'];

const roles = (objs: Obj[]) => objs.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
const rulesOf = (o: Obj) => (o.rules ?? []) as Rule[];

/** Checks that hold for every install: no wildcards, Secrets read-only, Leases namespaced. */
function checkInvariants(objs: Obj[], operatorNamespace: string): void {
  for (const role of roles(objs)) {
    for (const rule of rulesOf(role)) {
      const where = `${role.kind} ${role.metadata.namespace ?? ''}/${role.metadata.name}`;
      for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames'] as const) {
        expect(rule[field] ?? [], `${where}: no * in ${field}`).not.toContain('*');
      }
      expect(rule.nonResourceURLs, `${where}: no nonResourceURLs`).toBeUndefined();
      expect((rule.verbs ?? []).filter((v) => DANGEROUS_VERBS.includes(v)), `${where}: dangerous verbs`).toEqual([]);
      if ((rule.apiGroups ?? []).includes('') && (rule.resources ?? []).some((r) => r === 'secrets' || r.startsWith('secrets/'))) {
        expect((rule.verbs ?? []).filter((v) => WRITE_VERBS.includes(v)), `${where}: Secrets must never be writable`).toEqual([]);
      }
      if ((rule.resources ?? []).includes('leases')) {
        expect(role.kind, `${where}: Leases only through a Role`).toBe('Role');
        expect(role.metadata.namespace, `${where}: Leases only in the operator's namespace`).toBe(operatorNamespace);
      }
    }
  }
  // Every binding grants to the Deployment's ServiceAccount, in the operator's namespace, a role that exists.
  const deployment = one(objs, 'Deployment');
  const sa = podSpec(deployment).serviceAccountName;
  for (const b of objs.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: operatorNamespace }]);
    const ref = b.roleRef as { apiGroup: string; kind: string; name: string };
    expect(ref.apiGroup).toBe('rbac.authorization.k8s.io');
    const target = objs.filter((o) => o.kind === ref.kind && o.metadata.name === ref.name && (ref.kind === 'ClusterRole' || o.metadata.namespace === b.metadata.namespace));
    expect(target, `${b.kind} ${b.metadata.name} refers to an existing ${ref.kind}`).toHaveLength(1);
  }
}

const leaseName = (deployment: Obj) => resolvedEnv(deployment).LEADER_ELECTION_ID ?? 'cdn-cert-sync-leader';

describe('deploy/ (kubectl apply -k deploy/)', () => {
  const objs = kustomizeBuild(join(repoRoot, 'deploy'));
  const deployment = one(objs, 'Deployment');

  it('ClusterRole grants exactly the documented rules', () => {
    expect(grants(rulesOf(one(objs, 'ClusterRole')))).toEqual(grants(OPERATOR_RULES));
  });

  it('the rules file the lead test parses holds the same ClusterRole', () => {
    const files = loadYamlDocs(join(repoRoot, 'deploy/rbac/cluster_role.yaml'));
    expect(files.map((o) => o.kind)).toEqual(['ClusterRole']);
    expect(grants(rulesOf(files[0] as Obj))).toEqual(grants(OPERATOR_RULES));
  });

  it('leader election is one Role + RoleBinding in the operator namespace, for the Lease the pod uses', () => {
    const role = one(objs, 'Role');
    expect(role.metadata.namespace).toBe('cdn-cert-sync');
    expect(grants(rulesOf(role))).toEqual(grants(leaderRules(leaseName(deployment))));
    expect(one(objs, 'RoleBinding').roleRef).toMatchObject({ kind: 'Role', name: role.metadata.name });
  });

  it('holds the invariants', () => {
    checkInvariants(objs, 'cdn-cert-sync');
  });
});

describe('deploy/namespaced/', () => {
  const objs = kustomizeBuild(join(repoRoot, 'deploy/namespaced'));
  const deployment = one(objs, 'Deployment');
  const watched = (resolvedEnv(deployment).WATCH_NAMESPACE ?? '').split(',').filter(Boolean);

  it('has no cluster-wide role or binding', () => {
    expect(find(objs, 'ClusterRole')).toEqual([]);
    expect(find(objs, 'ClusterRoleBinding')).toEqual([]);
  });

  it('gives every WATCH_NAMESPACE entry, and only those, a Role with the documented rules', () => {
    expect(watched.length).toBeGreaterThan(0);
    const operatorRoles = find(objs, 'Role').filter((r) => r.metadata.namespace !== 'cdn-cert-sync');
    expect(operatorRoles.map((r) => r.metadata.namespace).sort()).toEqual([...watched].sort());
    for (const role of operatorRoles) expect(grants(rulesOf(role)), role.metadata.namespace).toEqual(grants(OPERATOR_RULES));
    const bindings = find(objs, 'RoleBinding').filter((b) => b.metadata.namespace !== 'cdn-cert-sync');
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual([...watched].sort());
  });

  it('keeps the leader-election Role and holds the invariants', () => {
    const leader = find(objs, 'Role').filter((r) => r.metadata.namespace === 'cdn-cert-sync');
    expect(leader.map((r) => grants(rulesOf(r)))).toEqual([grants(leaderRules(leaseName(deployment)))]);
    checkInvariants(objs, 'cdn-cert-sync');
  });
});

describe('Helm chart', () => {
  it('default install: a ClusterRole with exactly the deploy/ rules, leases only via a Role', () => {
    const { objects } = renderChart({ namespace: 'ops' });
    expect(grants(rulesOf(one(objects, 'ClusterRole')))).toEqual(grants(OPERATOR_RULES));
    const leader = one(objects, 'Role');
    expect(leader.metadata.namespace).toBe('ops');
    expect(grants(rulesOf(leader))).toEqual(grants(leaderRules(leaseName(one(objects, 'Deployment')))));
    checkInvariants(objects, 'ops');
  });

  it('the ClusterRole rules are the ones in deploy/rbac/cluster_role.yaml', () => {
    const deployRole = loadYamlDocs(join(repoRoot, 'deploy/rbac/cluster_role.yaml'))[0] as Obj;
    expect(one(renderChart().objects, 'ClusterRole').rules).toEqual(deployRole.rules);
  });

  it('watchNamespaces: a Role per namespace with the same rules, no cluster-wide access', () => {
    const { objects } = renderChart({ namespace: 'ops', values: { watchNamespaces: ['team-a', 'team-b'] } });
    expect(find(objects, 'ClusterRole')).toEqual([]);
    expect(find(objects, 'ClusterRoleBinding')).toEqual([]);
    const perNamespace = find(objects, 'Role').filter((r) => r.metadata.namespace !== 'ops');
    expect(perNamespace.map((r) => r.metadata.namespace)).toEqual(['team-a', 'team-b']);
    for (const r of perNamespace) expect(grants(rulesOf(r))).toEqual(grants(OPERATOR_RULES));
    expect(find(objects, 'RoleBinding').filter((b) => b.metadata.namespace !== 'ops')).toHaveLength(2);
    checkInvariants(objects, 'ops');
  });

  it('watchNamespaces with default credentials Secrets: get on just those Secrets in the release namespace', () => {
    const values = { watchNamespaces: ['team-a'], credentials: { alibabaSecretName: 'ali-creds', tencentSecretName: 'tc-creds' } };
    const { objects } = renderChart({ namespace: 'ops', values });
    const creds = find(objects, 'Role').filter((r) => r.metadata.namespace === 'ops' && rulesOf(r).some((x) => x.resources?.includes('secrets')));
    expect(creds).toHaveLength(1);
    expect(grants(rulesOf(creds[0] as Obj))).toEqual(grants([{ apiGroups: [''], resources: ['secrets'], resourceNames: ['ali-creds', 'tc-creds'], verbs: ['get'] }]));
    checkInvariants(objects, 'ops');
    // Not needed when the release namespace is itself watched, nor without default Secrets.
    const watchedToo = renderChart({ namespace: 'ops', values: { ...values, watchNamespaces: ['team-a', 'ops'] } }).objects;
    expect(find(watchedToo, 'Role').filter((r) => r.metadata.name.endsWith('-credentials'))).toEqual([]);
    const noDefaults = renderChart({ namespace: 'ops', values: { watchNamespaces: ['team-a'] } }).objects;
    expect(find(noDefaults, 'Role').filter((r) => r.metadata.name.endsWith('-credentials'))).toEqual([]);
  });

  it('custom lease name and release name flow into the Role and the pod', () => {
    const { objects } = renderChart({ releaseName: 'edge', namespace: 'ops', values: { leaderElection: { enabled: true, leaseName: 'my-lease' } } });
    const deployment = one(objects, 'Deployment');
    expect(leaseName(deployment)).toBe('my-lease');
    expect(grants(rulesOf(one(objects, 'Role')))).toEqual(grants(leaderRules('my-lease')));
  });

  it('no leader election: no Lease permission at all', () => {
    const { objects } = renderChart({ values: { replicaCount: 1, leaderElection: { enabled: false } } });
    expect(find(objects, 'Role')).toEqual([]);
    expect(find(objects, 'RoleBinding')).toEqual([]);
    expect(resolvedEnv(one(objects, 'Deployment')).LEADER_ELECT).toBe('false');
  });

  it('rbac.create=false renders no RBAC objects', () => {
    const { objects } = renderChart({ values: { rbac: { create: false }, watchNamespaces: ['a'], credentials: { alibabaSecretName: 'x' } } });
    expect(objects.filter((o) => /Role/.test(o.kind))).toEqual([]);
  });
});
