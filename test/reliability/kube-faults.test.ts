// Kubernetes faults: the operator in process against the test API server,
// Alibaba bindings on the in-memory CDN (the loop's behaviour, fast) and
// Tencent bindings on the real driver + emulator (for pushes slow enough to
// edit a binding under). Renewals happen while watches drop, lists fail,
// status writes conflict, the API server restarts and Secrets disappear;
// every scenario ends with the shared invariant over every binding of the file.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, type IssuedCert } from '../fixtures/certs.ts';
import { OPERATOR_TOKEN, waitFor } from '../harness/env.ts';
import { Stack, ZONE } from './stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await Stack.start({ tencent: true, requestTimeoutMs: 3_000 });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => stack.clearFaults());

const cert = (ns: string): Promise<IssuedCert> => issueCertificate({ dnsNames: [`${ns}.example.com`, `*.${ns}.example.com`], keyAlgorithm: 'ecdsa' });
/** Requests the operator made (not the test). */
const operatorRequests = () => stack.env.api.requests.filter((r) => r.user === OPERATOR_TOKEN);

/** `count` synced Alibaba (in-memory CDN) bindings, one per namespace, each with its own Secret. */
async function syncedSites(prefix: string, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const ns = await stack.namespace(prefix);
    await stack.renew(ns, 'tls', await cert(ns));
    await stack.bind({ namespace: ns, name: 'site', secretName: 'tls', domains: [`www.${ns}.example.com`, `api.${ns}.example.com`] });
    out.push(ns);
  }
  for (const ns of out) await stack.env.waitForReason(ns, 'site', 'Synced');
  return out;
}

describe('Kubernetes faults', () => {
  it('watches dropped mid-stream, over and over, while Secrets are renewed', async () => {
    const sites = await syncedSites('drop', 3);
    const watchesOpened = () => operatorRequests().filter((r) => r.verb === 'watch').length;
    for (let round = 0; round < 6; round++) {
      const opened = watchesOpened();
      // Renewals and drops interleaved: some events are in flight when the streams die.
      const renewals = sites.map(async (ns, i) => {
        if (i === round % 3) stack.env.api.faults.dropWatches();
        await stack.renew(ns, 'tls', await cert(ns));
      });
      stack.env.api.faults.dropWatches({ resource: round % 2 ? 'secrets' : 'cdncertificatebindings' });
      await Promise.all(renewals);
      stack.env.api.faults.dropWatches();
      // Every round's drops made the operator open its watches again (waited
      // for, not counted at the end: a drop that lands before the previous
      // reopen finds nothing to drop, and that is scheduling, not a bug).
      await waitFor(`round ${round}: the operator reopens its dropped watches`, () => watchesOpened() > opened);
    }
    await stack.check();
  });

  it('410 Gone: updates made while no watch was open, history compacted, watches answered 410', async () => {
    const sites = await syncedSites('gone', 2);
    stack.env.api.faults.stallWatches();
    for (const ns of sites) await stack.renew(ns, 'tls', await cert(ns));
    stack.env.api.compact();
    stack.env.api.faults.dropWatches();
    stack.env.api.faults.clear();
    // And once more with the watch request itself answered 410.
    stack.env.api.faults.inject({ verb: 'watch', status: 410, times: 2 });
    stack.env.api.faults.dropWatches();
    for (const ns of sites) await stack.renew(ns, 'tls', await cert(ns));
    await stack.check();
    expect(operatorRequests().some((r) => r.verb === 'watch' && r.status === 410)).toBe(true);
  });

  it('429 and 500 answers to the relists, with renewals made meanwhile', async () => {
    const sites = await syncedSites('list', 2);
    const before = operatorRequests().length;
    for (const resource of ['secrets', 'cdncertificatebindings']) {
      stack.env.api.faults.inject({ verb: 'list', resource, status: 429, times: 2, retryAfterSeconds: 0 });
      stack.env.api.faults.inject({ verb: 'list', resource, status: 500, times: 2 });
    }
    // Force relists: history gone, streams dropped.
    stack.env.api.faults.stallWatches();
    for (const ns of sites) await stack.renew(ns, 'tls', await cert(ns));
    stack.env.api.compact();
    stack.env.api.faults.dropWatches();
    stack.env.api.faults.clear();
    for (const resource of ['secrets', 'cdncertificatebindings']) {
      stack.env.api.faults.inject({ verb: 'list', resource, status: 500, times: 2 });
      stack.env.api.faults.inject({ verb: 'list', resource, status: 429, times: 1, retryAfterSeconds: 0 });
    }
    await stack.check();
    const lists = operatorRequests().slice(before).filter((r) => r.verb === 'list');
    expect(lists.map((r) => r.status)).toEqual(expect.arrayContaining([429, 500, 200]));
  });

  it('409 on status writes, more often than one reconcile retries them', async () => {
    const [ns] = (await syncedSites('conflict', 1)) as [string];
    stack.env.api.faults.inject({ verb: 'patch', resource: 'cdncertificatebindings', subresource: 'status', status: 409, times: 9 });
    await stack.renew(ns, 'tls', await cert(ns));
    await stack.check();
    expect(operatorRequests().filter((r) => r.subresource === 'status' && r.status === 409)).toHaveLength(9);
  });

  it('the API server restarted (state kept), twice, around renewals', async () => {
    const sites = await syncedSites('restart', 2);
    for (const ns of sites) await stack.renew(ns, 'tls', await cert(ns));
    await stack.env.api.restart();
    for (const ns of sites) await stack.renew(ns, 'tls', await cert(ns));
    await stack.env.api.restart();
    await stack.check();
  });

  it('a Secret deleted and re-created: with a new certificate, with the same one, and unseen by a stalled watch', async () => {
    const [a, b, c] = (await syncedSites('recreate', 3)) as [string, string, string];
    // New certificate, after the operator saw the deletion.
    await stack.env.deleteSecret(a, 'tls');
    await stack.env.waitForReason(a, 'site', 'SecretNotFound');
    await stack.renew(a, 'tls', await cert(a));
    // The same certificate, straight away.
    const same = stack.ledger.latest(`${b}/tls`)!;
    const secret = await stack.env.core.readNamespacedSecret({ namespace: b, name: 'tls' });
    await stack.env.deleteSecret(b, 'tls');
    await stack.env.core.createNamespacedSecret({ namespace: b, body: { ...secret, metadata: { name: 'tls', namespace: b, annotations: secret.metadata?.annotations ?? {} } } });
    stack.ledger.renewals.push({ ...same, seq: stack.ledger.renewals.length + 1, at: Date.now() });
    // Deleted and re-created while the watch was stalled and history compacted: only the relist can tell.
    stack.env.api.faults.stallWatches();
    await stack.env.deleteSecret(c, 'tls');
    await stack.renew(c, 'tls', await cert(c));
    stack.env.api.compact();
    stack.env.api.faults.dropWatches();
    stack.env.api.faults.clear();
    await stack.check();
  });

  it('a binding\'s spec edited during a push: hosts added and removed while EdgeOne is slow', async () => {
    const ns = await stack.namespace('edit');
    const [www, img, api] = stack.hosts(ns, 'www', 'img', 'api') as [string, string, string];
    const emulator = stack.tencent!.emulator;
    await stack.renew(ns, 'tls', await cert(ns));
    emulator.latency(700, 'ModifyHostsCertificate');
    await stack.bindTencent({ namespace: ns, name: 'site', secretName: 'tls', hosts: [www] });
    const inFlight = () => stack.log.callsFor(`${ns}/site`, 'deploy').some((c) => c.endedAt === undefined);
    await waitFor('a push in flight', inFlight);
    await stack.env.patchBinding(ns, 'site', { spec: { tencent: { zoneId: ZONE, hosts: [www, img] } } });
    // A renewal and another edit while the next push is in flight.
    await waitFor('the next push in flight', () => stack.log.callsFor(`${ns}/site`, 'deploy').filter((c) => c.endedAt === undefined && c.targets.includes(img)).length > 0);
    await stack.renew(ns, 'tls', await cert(ns));
    await stack.env.patchBinding(ns, 'site', { spec: { tencent: { zoneId: ZONE, hosts: [img, api] } } });
    const b = await stack.env.getBinding(ns, 'site');
    expect(b?.metadata.generation).toBe(3);
    emulator.latency(0, 'ModifyHostsCertificate');
    await stack.check();
    const final = await stack.env.getBinding(ns, 'site');
    expect(final?.status?.targets?.map((t) => t.name)).toEqual([img, api]);
  });

  it('a binding pointed at another Secret during a push', async () => {
    const ns = await stack.namespace('repoint');
    const [www] = stack.hosts(ns, 'www') as [string];
    const emulator = stack.tencent!.emulator;
    await stack.renew(ns, 'old-tls', await cert(ns));
    await stack.renew(ns, 'new-tls', await cert(ns));
    emulator.latency(600, 'ModifyHostsCertificate');
    await stack.bindTencent({ namespace: ns, name: 'site', secretName: 'old-tls', hosts: [www] });
    await waitFor('a push in flight', () => stack.log.callsFor(`${ns}/site`, 'deploy').some((c) => c.endedAt === undefined));
    await stack.env.patchBinding(ns, 'site', { spec: { secretName: 'new-tls' } });
    emulator.latency(0, 'ModifyHostsCertificate');
    await stack.check();
  });

  it('a Secret rolled back to its previous certificate while the binding watch lags behind the operator\'s own status write', async () => {
    const [ns] = (await syncedSites('rollback', 1)) as [string];
    const previous = stack.ledger.latest(`${ns}/tls`)!;
    const before = await stack.env.core.readNamespacedSecret({ namespace: ns, name: 'tls' });
    // The operator's binding cache stops receiving updates (its own status writes included)…
    stack.env.api.faults.stallWatches({ resource: 'cdncertificatebindings' });
    await stack.renew(ns, 'tls', await cert(ns));
    await waitFor('the renewal pushed', () => stack.env.cdn.serving(`www.${ns}.example.com`) !== previous.fingerprint);
    await stack.env.waitForReason(ns, 'site', 'Synced', (b) => b.status?.certificate?.fingerprintSHA256 !== previous.fingerprint);
    // …and the renewal is rolled back (a backup restored): the Secret holds the previous certificate again.
    const reconciles = async () => (await stack.env.metrics.reconcileTotal.get()).values.reduce((n, v) => n + v.value, 0);
    const counted = await reconciles();
    await stack.env.core.replaceNamespacedSecret({ namespace: ns, name: 'tls', body: { ...before, metadata: { ...before.metadata, resourceVersion: undefined } } });
    stack.ledger.renewals.push({ ...previous, seq: stack.ledger.renewals.length + 1, at: Date.now() });
    await waitFor('the rollback reconciled', async () => (await reconciles()) > counted);
    // The watch recovers: the operator now sees its own status write, but nothing makes it look at the CDN again.
    stack.env.api.faults.clear();
    try {
      await stack.check({ bindings: [{ namespace: ns, name: 'site' }], timeoutMs: 10_000 });
    } finally {
      // Whatever the outcome, later scenarios check their own bindings, not this one.
      stack.untrack(ns, 'site');
    }
  });

  it('Events that cannot be written and a Secret GET answered 500 never hold a renewal back', async () => {
    stack.env.api.faults.inject({ verb: 'create', resource: 'events', status: 500, times: 20 });
    stack.env.api.faults.inject({ verb: 'patch', resource: 'events', status: 500, times: 20 });
    const ns = await stack.namespace('events');
    // The Secret exists before any binding references it: the operator's watch saw it and dropped it,
    // so the binding's first read is a GET, answered 500.
    await stack.renew(ns, 'tls', await cert(ns));
    stack.env.api.faults.inject({ verb: 'get', resource: 'secrets', namespace: ns, name: 'tls', status: 500, times: 2 });
    await stack.bind({ namespace: ns, name: 'site', secretName: 'tls', domains: [`www.${ns}.example.com`] });
    await stack.check();
    // (The checker's own reads may take one of the two injected answers.)
    const gets = operatorRequests().filter((r) => r.resource === 'secrets' && r.verb === 'get' && r.namespace === ns).map((r) => r.status);
    expect(gets[0]).toBe(500);
    expect(gets.at(-1)).toBe(200);
    expect(operatorRequests().filter((r) => r.resource === 'events' && r.status === 500).length).toBeGreaterThan(0);
  });
});
