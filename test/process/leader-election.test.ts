// Two and three operator processes against the test API server: only the
// leader reconciles, a killed leader is replaced within the lease duration,
// and SIGTERM hands over at once.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestApiServer } from '../kube-apiserver/index.ts';
import { TestEnv, waitFor, installCrd, OPERATOR_NAMESPACE } from '../harness/env.ts';
import { OperatorProcess, writeKubeconfig } from '../harness/process.ts';

const LEASE = 'cdn-cert-sync-leader';
let api: TestApiServer;
let env: TestEnv;
let kubeconfig: string;
const procs: OperatorProcess[] = [];

function candidate(name: string): OperatorProcess {
  const p = new OperatorProcess({
    KUBECONFIG: kubeconfig,
    POD_NAMESPACE: OPERATOR_NAMESPACE,
    POD_NAME: name,
    LEADER_ELECT: 'true',
    LEADER_ELECTION_LEASE_DURATION: '3s',
    LEADER_ELECTION_RENEW_DEADLINE: '2s',
    LEADER_ELECTION_RETRY_PERIOD: '250ms',
  });
  procs.push(p);
  return p;
}

async function holder(): Promise<string | undefined> {
  const leases = api.kubeConfig().makeApiClient(CoordinationV1Api);
  try {
    return (await leases.readNamespacedLease({ namespace: OPERATOR_NAMESPACE, name: LEASE })).spec?.holderIdentity || undefined;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  api = await TestApiServer.start();
  env = await TestEnv.start({ api, deferOperator: true });
  await installCrd(api.url);
  await env.createNamespace(OPERATOR_NAMESPACE);
  kubeconfig = writeKubeconfig(api);
});
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await api.stop();
});

describe('leader election', () => {
  it('lets only the leader reconcile, hands over within the lease after SIGKILL, and at once after SIGTERM', async () => {
    const a = await candidate('op-a').ready();
    const b = await candidate('op-b').ready();
    const first = await waitFor('a leader', holder);
    const [leader, standby] = first === 'op-a' ? [a, b] : [b, a];
    expect(await leader.metric('cdn_cert_sync_leader')).toBe(1);
    expect(await standby.metric('cdn_cert_sync_leader')).toBe(0);

    // A binding whose Secret is missing: reconciled without any provider call.
    await env.createBinding({ name: 'one', secretName: 'missing', domains: ['one.example.com'] });
    await env.waitForReason('default', 'one', 'SecretNotFound');
    expect(await leader.metric('cdn_cert_sync_reconcile_total')).toBeGreaterThan(0);
    expect(await standby.metric('cdn_cert_sync_reconcile_total')).toBe(0);
    // The standby's caches are warm: it is ready too.
    expect((await standby.get('health', '/readyz')).status).toBe(200);

    const killedAt = Date.now();
    leader.kill('SIGKILL');
    const next = await waitFor('a new leader', async () => {
      const h = await holder();
      return h && h !== first ? h : undefined;
    });
    const handover = Date.now() - killedAt;
    expect(next).toBe(standby === a ? 'op-a' : 'op-b');
    // Lease duration (3 s) plus a retry period and scheduling slack.
    expect(handover).toBeLessThan(3_000 + 2_000);
    await env.createBinding({ name: 'two', secretName: 'missing', domains: ['two.example.com'] });
    await env.waitForReason('default', 'two', 'SecretNotFound');

    const c = await candidate('op-c').ready();
    const termAt = Date.now();
    standby.kill('SIGTERM');
    expect(await standby.exited).toBe(0);
    await waitFor('op-c to lead', async () => (await holder()) === 'op-c');
    // Released, not expired: well under the 3 s lease duration.
    expect(Date.now() - termAt).toBeLessThan(2_500);
    expect(await c.metric('cdn_cert_sync_leader')).toBe(1);
  }, 60_000);
});

describe('a leader that cannot renew', () => {
  it('stops and exits non-zero once the renew deadline passes', async () => {
    const solo = await candidate('op-solo').ready();
    await waitFor('op-solo to lead (after op-c lets go)', async () => {
      for (const p of procs) if (p !== solo) p.kill('SIGTERM');
      return (await holder()) === 'op-solo';
    }, 15_000);
    // Every Lease write fails from now on.
    api.faults.inject({ verb: 'update', resource: 'leases', status: 500, times: 10_000 });
    api.faults.inject({ verb: 'get', resource: 'leases', status: 500, times: 10_000 });
    expect(await solo.exited).toBe(1);
    expect(solo.lines.some((l) => l.includes('lost leader lease'))).toBe(true);
    api.faults.clear();
  }, 30_000);
});
