// Least privilege, derived from what the operator actually calls: run it
// through every path that touches the API (sync, renewal, conflict, missing
// Secret, default credentials, Events and their aggregation, finalizers,
// deletion, leader election), record every request it made, and compare
// with the rules shipped in deploy/rbac/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { LeaderElector } from '../../src/kube/leader.ts';
import { kubeClients } from '../../src/kube/client.ts';
import { issueCertificate } from '../fixtures/certs.ts';
import { tlsSecret } from '../fixtures/secrets.ts';
import { OPERATOR_NAMESPACE, OPERATOR_TOKEN, TestEnv, waitFor } from '../harness/env.ts';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

function rules(file: string): Rule[] {
  const docs = parseAllDocuments(readFileSync(join(import.meta.dirname, '..', '..', 'deploy', 'rbac', file), 'utf8'));
  return docs.flatMap((d) => {
    const obj = d.toJS() as { kind?: string; rules?: Rule[] } | null;
    return obj?.kind === 'ClusterRole' || obj?.kind === 'Role' ? (obj.rules ?? []) : [];
  });
}

const permission = (group: string, resource: string, verb: string) => `${group || 'core'}/${resource}:${verb}`;

function granted(list: Rule[]): Set<string> {
  const out = new Set<string>();
  for (const r of list) for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.add(permission(g, res, v));
  return out;
}

let env: TestEnv;
const used = new Set<string>();
const leaseNamespaces = new Set<string>();

beforeAll(async () => {
  env = await TestEnv.start({ config: { resyncIntervalMs: 60 * 60_000 } });
  const n = 'rbac';
  await env.createNamespace(n);
  const cert = await issueCertificate({ dnsNames: ['*.rbac.example.com'] });
  await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
  // Default credentials (GET in the operator namespace), finalizer, status, Events.
  await env.createBinding({ namespace: n, name: 'a', secretName: 'tls', domains: ['a.rbac.example.com'], deletionPolicy: 'Disable' });
  await env.waitForReason(n, 'a', 'Synced');
  // A Secret created before its binding: fetched with one GET.
  await env.createBinding({ namespace: n, name: 'b', secretName: 'tls', domains: ['b.rbac.example.com'] });
  await env.waitForReason(n, 'b', 'Synced');
  // Repeated identical transitions: the second Event is aggregated with a PATCH.
  for (let i = 0; i < 2; i++) {
    await env.patchBinding(n, 'b', { spec: { secretName: 'missing' } });
    await env.waitForReason(n, 'b', 'SecretNotFound');
    await env.patchBinding(n, 'b', { spec: { secretName: 'tls' } });
    await env.waitForReason(n, 'b', 'Synced');
  }
  await env.operator!.events.flush();
  // Deletion through the finalizer.
  await env.deleteBinding(n, 'a');
  await waitFor('a deleted', async () => (await env.getBinding(n, 'a')) === undefined);

  // Leader election, with the operator's identity.
  const elector = new LeaderElector({
    api: kubeClients(env.api.kubeConfig(OPERATOR_TOKEN)).coordination,
    namespace: OPERATOR_NAMESPACE,
    name: 'cdn-cert-sync-leader',
    identity: 'rbac-test',
    logger: (await import('../../src/telemetry/logger.ts')).createLogger('silent'),
    retryPeriodMs: 100,
    renewDeadlineMs: 1_000,
    leaseDurationMs: 2_000,
    onStartedLeading: () => {},
    onStoppedLeading: () => {},
  });
  elector.start();
  await waitFor('leading', () => elector.isLeader);
  await waitFor('a renewal', () => env.api.requests.some((r) => r.user === OPERATOR_TOKEN && r.resource === 'leases' && r.verb === 'update'));
  await elector.release();

  for (const r of env.api.requests) {
    if (r.user !== OPERATOR_TOKEN || r.resource === '') continue;
    used.add(permission(r.apiGroup, r.subresource ? `${r.resource}/${r.subresource}` : r.resource, r.verb));
    if (r.resource === 'leases') leaseNamespaces.add(r.namespace ?? '');
  }
}, 60_000);

afterAll(async () => {
  await env.stop();
});

describe('RBAC', () => {
  const cluster = granted(rules('cluster_role.yaml'));
  const leader = granted(rules('leader_election_role.yaml'));
  const all = new Set([...cluster, ...leader]);

  it('grants every verb the operator used', () => {
    expect([...used].filter((p) => !all.has(p)).sort()).toEqual([]);
  });

  // Granted though never requested, each for a stated reason (see deploy/rbac/cluster_role.yaml):
  // the documented minimum set of the API (get on bindings, update on status) and
  // finalizers/update for OwnerReferencesPermissionEnforcement.
  const allowedUnused = [
    permission('cdn-cert-sync.io', 'cdncertificatebindings', 'get'),
    permission('cdn-cert-sync.io', 'cdncertificatebindings/status', 'update'),
    permission('cdn-cert-sync.io', 'cdncertificatebindings/finalizers', 'update'),
  ];

  it('grants nothing else the operator does not use', () => {
    const unused = [...all].filter((p) => !used.has(p) && !allowedUnused.includes(p));
    expect(unused.sort()).toEqual([]);
  });

  it('never writes Secrets, and touches Leases only in its own namespace', () => {
    expect([...used].filter((p) => p.startsWith('core/secrets:') && !/:(get|list|watch)$/.test(p))).toEqual([]);
    expect([...leaseNamespaces]).toEqual([OPERATOR_NAMESPACE]);
    expect([...cluster].some((p) => p.includes('leases'))).toBe(false);
  });
});
