// The operator end to end, in process, against the test API server over
// HTTP with the in-memory CDN: the loop's behaviour independent of any cloud.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FINALIZER } from '../../src/api/v1alpha1/schema.ts';
import { MemoryCdn } from '../../src/providers/memory/index.ts';
import { issueCertificate, mismatchedKeyFor, type IssuedCert } from '../fixtures/certs.ts';
import { tlsSecret } from '../fixtures/secrets.ts';
import { credentialsData, TestEnv, waitFor } from '../harness/env.ts';

let env: TestEnv;
let ns = 0;
/** A fresh namespace per test keeps tests independent on one API server. */
async function namespace(): Promise<string> {
  const name = `t${++ns}`;
  await env.createNamespace(name);
  return name;
}

const deploys = (cdn: MemoryCdn, binding: string) => cdn.calls.filter((c) => c.action === 'deploy' && c.binding === binding);
const provCalls = (cdn: MemoryCdn, binding: string) => cdn.calls.filter((c) => c.binding === binding);

beforeAll(async () => {
  env = await TestEnv.start();
});
afterAll(async () => {
  await env.stop();
});
afterEach(() => {
  env.api.faults.clear();
  env.cdn.clearFaults();
});

describe('a binding', () => {
  it('becomes Ready=True with the certificate and every target in status, and records an Event', async () => {
    const n = await namespace();
    const cert = await issueCertificate({ dnsNames: ['example.com', '*.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'site-tls', cert }));
    await env.createBinding({ namespace: n, name: 'site', secretName: 'site-tls', domains: ['example.com', 'www.example.com'] });

    const b = await env.waitForReason(n, 'site', 'Synced');
    expect(b.status).toMatchObject({
      observedGeneration: 1,
      provider: 'alibaba',
      certificate: { fingerprintSHA256: cert.fingerprintSHA256, serialNumber: cert.serialNumber, dnsNames: ['example.com', '*.example.com'] },
      targets: [
        { name: 'example.com', state: 'Synced', fingerprintSHA256: cert.fingerprintSHA256 },
        { name: 'www.example.com', state: 'Synced', fingerprintSHA256: cert.fingerprintSHA256 },
      ],
    });
    expect(b.status?.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True', observedGeneration: 1 });
    expect(b.status?.certificate?.notAfter).toBe(cert.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect(env.cdn.serving('www.example.com')).toBe(cert.fingerprintSHA256);
    await waitFor('a Synced event', async () => (await env.events(n)).find((e) => e.reason === 'Synced' && e.type === 'Normal'));
  });

  it('pushes a renewal (the Secret updated in place) and status follows', async () => {
    const n = await namespace();
    const first = await issueCertificate({ dnsNames: ['renew.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert: first }));
    await env.createBinding({ namespace: n, name: 'renew', secretName: 'tls', domains: ['renew.example.com'] });
    await env.waitForReason(n, 'renew', 'Synced');
    const before = await env.getBinding(n, 'renew');

    const second = await issueCertificate({ dnsNames: ['renew.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert: second }));
    const after = await env.waitForReason(n, 'renew', 'Synced', (b) => b.status?.certificate?.fingerprintSHA256 === second.fingerprintSHA256);
    expect(after.status?.targets?.[0]?.fingerprintSHA256).toBe(second.fingerprintSHA256);
    expect(env.cdn.serving('renew.example.com')).toBe(second.fingerprintSHA256);
    expect(deploys(env.cdn, `${n}/renew`).map((c) => c.fingerprint)).toEqual([first.fingerprintSHA256, second.fingerprintSHA256]);
    // Ready stayed True across the renewal: lastTransitionTime did not move.
    expect(after.status?.conditions?.[0]?.lastTransitionTime).toBe(before?.status?.conditions?.[0]?.lastTransitionTime);
    // ...but the push itself is an Event.
    await waitFor('a Deployed event for the renewal', async () =>
      (await env.events(n)).find((e) => e.reason === 'Deployed' && e.message?.startsWith(`certificate ${second.fingerprintSHA256.slice(0, 12)}`)),
    );
  });

  describe('with bad certificate material gets its own reason and makes no provider call', () => {
    // Each case in its own namespace with its own domain: a shared domain would (rightly) be a Conflict.
    const cases: Array<[string, string, (domain: string) => Promise<object>]> = [
      ['expired', 'CertificateExpired', async (d) => {
        const cert = await issueCertificate({ dnsNames: [d], notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
        return { cert };
      }],
      ['key mismatch', 'KeyMismatch', async (d) => {
        const cert = await issueCertificate({ dnsNames: [d] });
        return { cert, extraData: { 'tls.key': await mismatchedKeyFor(cert) } };
      }],
      ['malformed PEM', 'InvalidCertificate', async (d) => {
        const cert = await issueCertificate({ dnsNames: [d] });
        return { cert, extraData: { 'tls.crt': '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n' } };
      }],
      ['not covering the domain', 'DomainNotCovered', async () => ({ cert: await issueCertificate({ dnsNames: ['other.example.org'] }) })],
      ['a Secret of the wrong type', 'InvalidCertificate', async (d) => ({ cert: await issueCertificate({ dnsNames: [d] }), type: 'Opaque' })],
    ];
    for (const [what, reason, make] of cases) {
      it(`${what} → ${reason}`, async () => {
        const n = await namespace();
        const domain = `bad.${n}.example.com`;
        const opts = (await make(domain)) as { cert: IssuedCert; extraData?: Record<string, string>; type?: string };
        await env.applySecret(tlsSecret({ namespace: n, name: 'bad-tls', ...opts }));
        await env.createBinding({ namespace: n, name: 'bad', secretName: 'bad-tls', domains: [domain] });
        const b = await env.waitForReason(n, 'bad', reason);
        expect(b.status?.conditions?.[0]).toMatchObject({ status: 'False', reason });
        expect(b.status?.conditions?.[0]?.message.length).toBeGreaterThan(10);
        expect(provCalls(env.cdn, `${n}/bad`)).toEqual([]);
        await waitFor('a Warning event', async () => (await env.events(n)).find((e) => e.reason === reason && e.type === 'Warning'));
      });
    }
  });

  it('reports SecretNotFound, then syncs as soon as the Secret is created', async () => {
    const n = await namespace();
    await env.createBinding({ namespace: n, name: 'late', secretName: 'late-tls', domains: ['late.example.com'] });
    const missing = await env.waitForReason(n, 'late', 'SecretNotFound');
    expect(missing.status?.conditions?.[0]?.message).toContain('late-tls');
    const cert = await issueCertificate({ dnsNames: ['late.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'late-tls', cert }));
    await env.waitForReason(n, 'late', 'Synced');
  });

  it('reports CredentialsNotFound when its credentials Secret is missing, and calls nothing', async () => {
    const n = await namespace();
    const cert = await issueCertificate({ dnsNames: ['cred.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'cred', secretName: 'tls', domains: ['cred.example.com'], credentials: 'nope' });
    const b = await env.waitForReason(n, 'cred', 'CredentialsNotFound');
    expect(b.status?.conditions?.[0]?.message).toContain('nope');
    expect(provCalls(env.cdn, `${n}/cred`)).toEqual([]);
    await env.core.createNamespacedSecret({ namespace: n, body: { metadata: { name: 'nope' }, stringData: credentialsData('AKID2', 'another-credential') } });
    await env.waitForReason(n, 'cred', 'Synced');
    expect(provCalls(env.cdn, `${n}/cred`).every((c) => c.account === 'AKID2')).toBe(true);
  });
});

describe('many bindings', () => {
  it('50 bindings sharing one Secret all sync, and a renewal reaches all of them', async () => {
    const n = await namespace();
    const names = Array.from({ length: 50 }, (_, i) => `d${i}.shared.example.com`);
    const cert = await issueCertificate({ dnsNames: ['*.shared.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'shared-tls', cert }));
    await Promise.all(names.map((d, i) => env.createBinding({ namespace: n, name: `b${i}`, secretName: 'shared-tls', domains: [d] })));
    await waitFor('all 50 Synced', () => names.every((d) => env.cdn.serving(d) === cert.fingerprintSHA256));
    for (let i = 0; i < 50; i++) await env.waitForReason(n, `b${i}`, 'Synced');

    const renewed = await issueCertificate({ dnsNames: ['*.shared.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'shared-tls', cert: renewed }));
    await waitFor('the renewal on all 50', () => names.every((d) => env.cdn.serving(d) === renewed.fingerprintSHA256));
    for (let i = 0; i < 50; i++) {
      await env.waitForReason(n, `b${i}`, 'Synced', (b) => b.status?.certificate?.fingerprintSHA256 === renewed.fingerprintSHA256);
    }
  });

  it('the older binding keeps a contested target; the newer reports Conflict until the older goes', async () => {
    const n = await namespace();
    const cert = await issueCertificate({ dnsNames: ['contested.example.com', 'extra.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'first', secretName: 'tls', domains: ['contested.example.com'] });
    await env.waitForReason(n, 'first', 'Synced');
    // creationTimestamp has second precision: make sure the second binding is strictly newer.
    const created = (await env.getBinding(n, 'first'))!.metadata.creationTimestamp!;
    await waitFor('the next second', () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') > created);
    await env.createBinding({ namespace: n, name: 'second', secretName: 'tls', domains: ['contested.example.com', 'extra.example.com'] });
    const b = await env.waitForReason(n, 'second', 'Conflict');
    expect(b.status?.conditions?.[0]?.message).toContain(`${n}/first`);
    expect(provCalls(env.cdn, `${n}/second`)).toEqual([]);
    await env.deleteBinding(n, 'first');
    await env.waitForReason(n, 'second', 'Synced');
  });
});

describe('spec.suspend', () => {
  it('stops provider calls and reports Suspended; resuming syncs', async () => {
    const n = await namespace();
    const cert = await issueCertificate({ dnsNames: ['susp.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 's', secretName: 'tls', domains: ['susp.example.com'], suspend: true });
    await env.waitForReason(n, 's', 'Suspended');
    expect(provCalls(env.cdn, `${n}/s`)).toEqual([]);
    await env.patchBinding(n, 's', { spec: { suspend: false } });
    await env.waitForReason(n, 's', 'Synced');
  });
});

describe('provider failures', () => {
  it('retries a transient error (Syncing with the code) and converges', async () => {
    const n = await namespace();
    const cert = await issueCertificate({ dnsNames: ['busy.example.com'] });
    env.cdn.failWith({ action: 'deploy', target: 'busy.example.com', code: 'ServiceBusy', retryable: true, times: 3 });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'busy', secretName: 'tls', domains: ['busy.example.com'] });
    await env.waitForReason(n, 'busy', 'Synced');
    expect(deploys(env.cdn, `${n}/busy`).length).toBe(4);
  });

  it('a terminal error is ProviderRejected with the code; other targets still sync; only the failed one is retried', async () => {
    const n = await namespace();
    const cert = await issueCertificate({ dnsNames: ['ok.example.com', 'offline.example.com'] });
    env.cdn.failWith({ action: 'deploy', target: 'offline.example.com', code: 'InvalidDomain.Offline', retryable: false, times: 1 });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'part', secretName: 'tls', domains: ['ok.example.com', 'offline.example.com'] });
    const b = await env.waitForReason(n, 'part', 'ProviderRejected');
    expect(b.status?.conditions?.[0]?.message).toContain('InvalidDomain.Offline');
    expect(b.status?.targets).toMatchObject([
      { name: 'ok.example.com', state: 'Synced' },
      { name: 'offline.example.com', state: 'Failed' },
    ]);
    // A spec change (here: a no-op annotation would not bump generation; touch the spec) retries only the failed target.
    await env.patchBinding(n, 'part', { spec: { alibaba: { domains: ['ok.example.com', 'offline.example.com'], certNamePrefix: 'x' } } });
    await env.waitForReason(n, 'part', 'Synced');
    const pushed = deploys(env.cdn, `${n}/part`).map((c) => c.targets);
    expect(pushed).toEqual([['ok.example.com', 'offline.example.com'], ['offline.example.com']]);
  });

  it('corrects drift at the next check', async () => {
    const local = await TestEnv.start({ api: env.api, cdn: env.cdn, config: { resyncIntervalMs: 1_500 } });
    try {
      await env.stopOperator();
      const n = await namespace();
      const cert = await issueCertificate({ dnsNames: ['drift.example.com'] });
      await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
      await env.createBinding({ namespace: n, name: 'drift', secretName: 'tls', domains: ['drift.example.com'] });
      await env.waitForReason(n, 'drift', 'Synced');
      env.cdn.drift('drift.example.com', 'f'.repeat(64));
      await waitFor('drift corrected', () => env.cdn.serving('drift.example.com') === cert.fingerprintSHA256, 10_000);
    } finally {
      await local.stopOperator();
      await env.startOperator();
    }
  });
});

describe('Kubernetes faults', () => {
  it('misses no update across dropped watches and 410 Gone', async () => {
    const n = await namespace();
    let cert = await issueCertificate({ dnsNames: ['watch.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'w', secretName: 'tls', domains: ['watch.example.com'] });
    await env.waitForReason(n, 'w', 'Synced');

    env.api.faults.dropWatches();
    cert = await issueCertificate({ dnsNames: ['watch.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await waitFor('update after a dropped watch', () => env.cdn.serving('watch.example.com') === cert.fingerprintSHA256);

    // Updates made while no watch is open, then history compacted: only a relist can see them.
    env.api.faults.stallWatches();
    cert = await issueCertificate({ dnsNames: ['watch.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    env.api.compact();
    // The stalled streams die with what they held back; reconnects resume from a compacted revision.
    env.api.faults.dropWatches();
    env.api.faults.clear();
    await waitFor('update after 410 Gone', () => env.cdn.serving('watch.example.com') === cert.fingerprintSHA256);
    await env.waitForReason(n, 'w', 'Synced', (b) => b.status?.certificate?.fingerprintSHA256 === cert.fingerprintSHA256);
  });

  it('retries a status write answered with 409', async () => {
    const n = await namespace();
    const cert = await issueCertificate({ dnsNames: ['conflict.example.com'] });
    env.api.faults.inject({ verb: 'patch', resource: 'cdncertificatebindings', subresource: 'status', status: 409, times: 2 });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'c', secretName: 'tls', domains: ['conflict.example.com'] });
    await env.waitForReason(n, 'c', 'Synced');
  });
});

describe('restart', () => {
  it('with everything in sync makes no provider call at all', async () => {
    const n = await namespace();
    const cert = await issueCertificate({ dnsNames: ['*.restart.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    for (let i = 0; i < 5; i++) await env.createBinding({ namespace: n, name: `r${i}`, secretName: 'tls', domains: [`r${i}.restart.example.com`] });
    for (let i = 0; i < 5; i++) await env.waitForReason(n, `r${i}`, 'Synced');

    await env.stopOperator();
    const before = env.cdn.calls.length;
    const reconciles = () => env.metrics.reconcileTotal.get().then((m) => m.values.reduce((s, v) => s + v.value, 0));
    const startCount = await reconciles();
    await env.startOperator();
    // Every binding in the cluster gets reconciled once after the restart.
    await waitFor('post-restart reconciles', async () => (await reconciles()) - startCount >= env.operator!.index.size);
    expect(env.cdn.calls.slice(before).filter((c) => c.binding.startsWith(`${n}/`))).toEqual([]);
  });
});

describe('deletion', () => {
  it('Retain (default): the CDN keeps serving; no finalizer is ever added', async () => {
    const n = await namespace();
    const cert = await issueCertificate({ dnsNames: ['retain.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'keep', secretName: 'tls', domains: ['retain.example.com'] });
    const b = await env.waitForReason(n, 'keep', 'Synced');
    expect(b.metadata.finalizers ?? []).toEqual([]);
    await env.deleteBinding(n, 'keep');
    await waitFor('gone', async () => (await env.getBinding(n, 'keep')) === undefined);
    expect(env.cdn.serving('retain.example.com')).toBe(cert.fingerprintSHA256);
    expect(provCalls(env.cdn, `${n}/keep`).some((c) => c.action === 'disable')).toBe(false);
  });

  it('Disable: a finalizer holds the binding until HTTPS is off on every target', async () => {
    const n = await namespace();
    const cert = await issueCertificate({ dnsNames: ['off.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'off', secretName: 'tls', domains: ['off.example.com'], deletionPolicy: 'Disable' });
    const b = await env.waitForReason(n, 'off', 'Synced');
    expect(b.metadata.finalizers).toEqual([FINALIZER]);

    env.cdn.failWith({ action: 'disable', target: 'off.example.com', code: 'ServiceBusy', retryable: true, times: 2 });
    await env.deleteBinding(n, 'off');
    await waitFor('gone', async () => (await env.getBinding(n, 'off')) === undefined);
    expect(env.cdn.serving('off.example.com')).toBeUndefined();
    expect(provCalls(env.cdn, `${n}/off`).filter((c) => c.action === 'disable').length).toBe(3);
  });

  it('switching the policy back to Retain removes the finalizer', async () => {
    const n = await namespace();
    const cert = await issueCertificate({ dnsNames: ['flip.example.com'] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'flip', secretName: 'tls', domains: ['flip.example.com'], deletionPolicy: 'Disable' });
    await waitFor('finalizer added', async () => (await env.getBinding(n, 'flip'))?.metadata.finalizers?.includes(FINALIZER));
    await env.patchBinding(n, 'flip', { spec: { deletionPolicy: 'Retain' } });
    await waitFor('finalizer removed', async () => (await env.getBinding(n, 'flip'))?.metadata.finalizers?.length === 0);
  });
});
