// Process faults: the operator as its own process, SIGKILLed in the middle
// of renewals (at random points, and at the worst ones: between a Tencent
// upload and its bind, and after an Alibaba upload arrived but before it was
// answered), then started again; and two replicas with leader election while
// the leader is killed mid-renewal. Every scenario ends with the shared
// invariant: converged, no renewal lost, no certificate uploaded twice, and
// no secret in any process's output.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, type IssuedCert } from '../fixtures/certs.ts';
import { OPERATOR_NAMESPACE, waitFor } from '../harness/env.ts';
import { renew } from './invariant.ts';
import { prng, ProcessStack, ZONE } from './operators.ts';
import { DelayProxy } from './proxy.ts';

let stack: ProcessStack;
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 1_000_000_007);

beforeAll(async () => {
  stack = await ProcessStack.start();
});
afterAll(async () => {
  await stack?.stop();
});

const cert = (ns: string): Promise<IssuedCert> => issueCertificate({ dnsNames: [`${ns}.example.com`, `*.${ns}.example.com`], keyAlgorithm: 'ecdsa' });
const calls = () => stack.alibaba.emulator.calls.length + stack.tencent.emulator.calls.length;

describe('an operator process killed with SIGKILL', () => {
  it('at random points of renewals (RELIABILITY_SEED replays one) converges after each restart, losing nothing', async () => {
    const random = prng(SEED);
    const ali = await stack.namespace('kill');
    const ten = await stack.namespace('kill');
    const domains = stack.domains(ali, 'www', 'img');
    const hosts = stack.hosts(ten, 'www', 'img');
    await renew(stack.env, stack.ledger, { namespace: ali, name: 'tls', cert: await cert(ali) });
    await renew(stack.env, stack.ledger, { namespace: ten, name: 'tls', cert: await cert(ten) });
    await stack.env.createBinding({ namespace: ali, name: 'site', secretName: 'tls', domains });
    await stack.env.createBinding({ namespace: ten, name: 'site', secretName: 'tls', tencent: { zoneId: ZONE, hosts } });
    stack.track(ali, 'site');
    stack.track(ten, 'site');
    // Slow answers widen the windows a kill can land in.
    stack.alibaba.emulator.latency(120);
    stack.tencent.emulator.latency(120);

    let p = await stack.operator();
    await stack.check();
    const kills: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = calls();
      await renew(stack.env, stack.ledger, { namespace: ali, name: 'tls', cert: await cert(ali) });
      await renew(stack.env, stack.ledger, { namespace: ten, name: 'tls', cert: await cert(ten) });
      // Kill after the k-th provider call of this renewal (0: before any).
      const k = Math.floor(random() * 6);
      kills.push(k);
      await waitFor(`provider call ${k} of round ${round} (seed ${SEED})`, () => calls() - before >= k, 20_000);
      await stack.kill(p);
      p = await stack.operator();
    }
    stack.alibaba.emulator.latency(0);
    stack.tencent.emulator.latency(0);
    const report = await stack.check().catch((err: Error) => {
      throw new Error(`seed ${SEED}, killed after provider calls ${kills.join(', ')}: ${err.message}`);
    });
    expect(report.renewals).toBeGreaterThanOrEqual(8);
    expect(kills).toHaveLength(3);
    await stack.kill(p);
  }, 90_000);

  it('between a Tencent upload and its bind: the restarted operator binds the uploaded copy, uploading nothing twice', async () => {
    const ns = await stack.namespace('upbind');
    const hosts = stack.hosts(ns, 'www', 'api');
    const emulator = stack.tencent.emulator;
    await renew(stack.env, stack.ledger, { namespace: ns, name: 'tls', cert: await cert(ns) });
    await stack.env.createBinding({ namespace: ns, name: 'site', secretName: 'tls', tencent: { zoneId: ZONE, hosts } });
    stack.track(ns, 'site');
    let p = await stack.operator();
    await stack.check();

    emulator.hang({ action: 'ModifyHostsCertificate', times: 1 });
    const renewal = await cert(ns);
    await renew(stack.env, stack.ledger, { namespace: ns, name: 'tls', cert: renewal });
    await waitFor('the upload, then the bind hanging', () =>
      emulator.uploads().some((u) => u.fingerprintSHA256 === renewal.fingerprintSHA256) &&
      emulator.calls.some((c) => c.action === 'ModifyHostsCertificate' && c.code === 'HANG'),
    20_000);
    await stack.kill(p);
    // Still serving the old certificate: the bind never happened.
    expect(emulator.hostCertificate(ZONE, hosts[0]!).certIds).toHaveLength(1);

    p = await stack.operator();
    await stack.check();
    expect(emulator.uploads().filter((u) => u.fingerprintSHA256 === renewal.fingerprintSHA256)).toHaveLength(1);
    await stack.kill(p);
  }, 60_000);

  it('after an Alibaba upload arrived but before it was answered: stored once, served after the restart', async () => {
    const ns = await stack.namespace('upans');
    const domains = stack.domains(ns, 'www', 'api');
    const emulator = stack.alibaba.emulator;
    await renew(stack.env, stack.ledger, { namespace: ns, name: 'tls', cert: await cert(ns) });
    await stack.env.createBinding({ namespace: ns, name: 'site', secretName: 'tls', domains });
    stack.track(ns, 'site');
    let p = await stack.operator();
    await stack.check();

    // The CDN applies each call 1.5 s after it arrives, answered or not.
    emulator.latency(1_500);
    const renewal = await cert(ns);
    const before = emulator.calls.length;
    await renew(stack.env, stack.ledger, { namespace: ns, name: 'tls', cert: renewal });
    await waitFor('an upload in flight', () => emulator.calls.slice(before).some((c) => c.action === 'SetCdnDomainSSLCertificate'), 20_000);
    await stack.kill(p);
    await waitFor('the killed operator\'s upload applied', () => emulator.certificates(stack.alibaba.accountId).some((c) => c.fingerprintSHA256 === renewal.fingerprintSHA256), 10_000);
    emulator.latency(0);

    p = await stack.operator();
    await stack.check();
    expect(emulator.certificates(stack.alibaba.accountId).filter((c) => c.fingerprintSHA256 === renewal.fingerprintSHA256)).toHaveLength(1);
    await stack.kill(p);
  }, 60_000);
});

describe('two replicas with leader election', () => {
  const LEASE = 'cdn-cert-sync-leader';
  const election = { LEADER_ELECT: 'true', LEADER_ELECTION_LEASE_DURATION: '3s', LEADER_ELECTION_RENEW_DEADLINE: '2s', LEADER_ELECTION_RETRY_PERIOD: '250ms' };
  const holder = async (): Promise<string | undefined> => {
    const leases = stack.env.api.kubeConfig().makeApiClient(CoordinationV1Api);
    try {
      return (await leases.readNamespacedLease({ namespace: OPERATOR_NAMESPACE, name: LEASE })).spec?.holderIdentity || undefined;
    } catch {
      return undefined;
    }
  };

  it('the leader killed in the middle of renewals: the standby takes over and finishes them, uploading nothing twice', async () => {
    const ali = await stack.namespace('lead');
    const ten = await stack.namespace('lead');
    const domains = stack.domains(ali, 'www', 'img', 'api');
    const hosts = stack.hosts(ten, 'www', 'img', 'api');
    await renew(stack.env, stack.ledger, { namespace: ali, name: 'tls', cert: await cert(ali) });
    await renew(stack.env, stack.ledger, { namespace: ten, name: 'tls', cert: await cert(ten) });
    await stack.env.createBinding({ namespace: ali, name: 'site', secretName: 'tls', domains });
    await stack.env.createBinding({ namespace: ten, name: 'site', secretName: 'tls', tencent: { zoneId: ZONE, hosts } });
    stack.track(ali, 'site');
    stack.track(ten, 'site');

    const a = await stack.operator({ ...election, POD_NAME: 'replica-a' });
    const b = await stack.operator({ ...election, POD_NAME: 'replica-b' });
    const first = await waitFor('a leader', holder, 20_000);
    const [leader, standby] = first === 'replica-a' ? [a, b] : [b, a];
    await stack.check();

    stack.alibaba.emulator.latency(200);
    stack.tencent.emulator.latency(200);
    const before = calls();
    await renew(stack.env, stack.ledger, { namespace: ali, name: 'tls', cert: await cert(ali) });
    await renew(stack.env, stack.ledger, { namespace: ten, name: 'tls', cert: await cert(ten) });
    await waitFor('the leader working on the renewals', () => calls() - before >= 3, 20_000);
    const killedAt = Date.now();
    await stack.kill(leader);
    const next = await waitFor('a new leader', async () => {
      const h = await holder();
      return h && h !== first ? h : undefined;
    }, 20_000);
    expect(next).toBe(first === 'replica-a' ? 'replica-b' : 'replica-a');
    expect(Date.now() - killedAt).toBeLessThan(3_000 + 3_000);
    stack.alibaba.emulator.latency(0);
    stack.tencent.emulator.latency(0);
    await stack.check();
    expect(await standby.metric('cdn_cert_sync_leader')).toBe(1);
    await stack.kill(standby);
  }, 90_000);

  it('a leader paused (SIGSTOP) in the middle of a renewal past its lease, then resumed, stands down without pushing its stale certificate', async () => {
    const ns = await stack.namespace('pause');
    const hosts = stack.hosts(ns, 'www');
    const proxy = await DelayProxy.start(stack.tencent.emulator.url);
    const viaProxy = { TENCENT_TEO_ENDPOINT: proxy.url, TENCENT_SSL_ENDPOINT: proxy.url };
    await renew(stack.env, stack.ledger, { namespace: ns, name: 'tls', cert: await cert(ns) });
    await stack.env.createBinding({ namespace: ns, name: 'site', secretName: 'tls', tencent: { zoneId: ZONE, hosts } });
    stack.track(ns, 'site');
    const a = await stack.operator({ ...election, ...viaProxy, POD_NAME: 'pause-a' });
    const b = await stack.operator({ ...election, ...viaProxy, POD_NAME: 'pause-b' });
    const first = await waitFor('a leader', async () => {
      const h = await holder();
      return h === 'pause-a' || h === 'pause-b' ? h : undefined;
    }, 20_000);
    const [leader, standby] = first === 'pause-a' ? [a, b] : [b, a];
    await stack.check();

    try {
      // The leader starts on a renewal; its first read is held at the proxy, and the leader is frozen right then.
      proxy.delay('DescribeAccelerationDomains', 1_500);
      const reads = proxy.arrived.get('DescribeAccelerationDomains') ?? 0;
      const stale = await cert(ns);
      await renew(stack.env, stack.ledger, { namespace: ns, name: 'tls', cert: stale });
      await waitFor('the leader reading the hosts', () => (proxy.arrived.get('DescribeAccelerationDomains') ?? 0) > reads, 10_000);
      leader.kill('SIGSTOP');
      // Its lease runs out; the standby takes over and pushes the next renewal.
      await waitFor('the standby leading', async () => (await holder()) === (first === 'pause-a' ? 'pause-b' : 'pause-a'), 20_000);
      proxy.delay('DescribeAccelerationDomains', 0);
      const current = await cert(ns);
      await renew(stack.env, stack.ledger, { namespace: ns, name: 'tls', cert: current });
      await stack.env.waitForReason(ns, 'site', 'Synced', (x) => x.status?.certificate?.fingerprintSHA256 === current.fingerprintSHA256, 20_000);
      // The new leader is done (Synced, next look at the CDN an hour away): from here on, any write
      // through the proxy comes from the old leader.
      const writes = () => (proxy.forwarded.get('UploadCertificate') ?? 0) + (proxy.forwarded.get('ModifyHostsCertificate') ?? 0);
      const before = writes();
      // The old leader wakes up: it must find it lost the lease and make no further provider write.
      leader.kill('SIGCONT');
      expect(await leader.exited).toBe(1);
      expect({ writesByTheDeposedLeader: writes() - before }).toEqual({ writesByTheDeposedLeader: 0 });
      await stack.check({ bindings: [{ namespace: ns, name: 'site' }], timeoutMs: 10_000 });
    } finally {
      leader.kill('SIGCONT');
      stack.untrack(ns, 'site');
      await stack.kill(standby);
      await stack.kill(leader);
      await proxy.stop();
    }
  }, 90_000);
});
