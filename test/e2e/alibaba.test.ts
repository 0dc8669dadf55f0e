// Alibaba Cloud CDN end to end: the operator in process, the test API server,
// and the real @alicloud/cdn20180510 SDK talking HTTP to the
// signature-checking emulator.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alibabaDriver } from '../../src/providers/alibaba/driver.ts';
import { SET_CERTIFICATE_ERRORS } from '../emulators/alibaba/codes.ts';
import { AlibabaCdnEmulator } from '../emulators/alibaba/emulator.ts';
import { containsKeyMaterial, issueCertificate } from '../fixtures/certs.ts';
import { tlsSecret } from '../fixtures/secrets.ts';
import { TestEnv, waitFor } from '../harness/env.ts';

const KEY_ID = 'LTAI5tE2eOperatorKey';
const KEY_SECRET = 'e2e-secret-4f8Q2mZ7xK9wR1tY';

let emulator: AlibabaCdnEmulator;
let env: TestEnv;
let ns = 0;

async function namespace(): Promise<string> {
  const name = `ali${++ns}`;
  await env.createNamespace(name);
  return name;
}

function domains(n: string, ...labels: string[]): string[] {
  const out = labels.map((l) => `${l}.${n}.example.com`);
  for (const d of out) emulator.addDomain(KEY_ID, d.startsWith('*.') ? d.slice(1) : d);
  return out;
}

const setCalls = (domain: string) => emulator.calls.filter((c) => c.action === 'SetCdnDomainSSLCertificate' && c.domain === domain);

function startEnv(opts: { resyncIntervalMs?: number } = {}) {
  return TestEnv.start({
    ...(env ? { api: env.api } : {}),
    credentials: { accessKeyId: KEY_ID, accessKeySecret: KEY_SECRET },
    config: { resyncIntervalMs: opts.resyncIntervalMs ?? 60 * 60_000 },
    drivers: ({ logger, metrics }) => [
      alibabaDriver(
        { settings: { endpoint: emulator.url, rrsa: false, credentialsSecret: undefined }, requestTimeoutMs: 400, recordCall: metrics.calls(), logger },
        { retry: { retries: 3, minTimeoutMs: 10, maxTimeoutMs: 80 } },
      ),
    ],
  });
}

beforeAll(async () => {
  emulator = await AlibabaCdnEmulator.start();
  emulator.addAccount(KEY_ID, KEY_SECRET);
  env = await startEnv();
});
afterAll(async () => {
  await env.stop();
  await emulator.stop();
});
afterEach(() => emulator.clearFaults());

describe('Alibaba Cloud CDN through the operator', () => {
  it('pushes a renewal to every domain (wildcard included) and status shows their fingerprints', async () => {
    const n = await namespace();
    const targets = domains(n, 'www', 'img', '*');
    const first = await issueCertificate({ dnsNames: [`${n}.example.com`, `*.${n}.example.com`] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'site-tls', cert: first }));
    await env.createBinding({ namespace: n, name: 'site', secretName: 'site-tls', domains: targets });
    await env.waitForReason(n, 'site', 'Synced');
    expect(emulator.servedFingerprint(`.${n}.example.com`)).toBe(first.fingerprintSHA256);

    const renewed = await issueCertificate({ dnsNames: [`${n}.example.com`, `*.${n}.example.com`] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'site-tls', cert: renewed }));
    const b = await env.waitForReason(n, 'site', 'Synced', (x) => x.status?.certificate?.fingerprintSHA256 === renewed.fingerprintSHA256);
    expect(b.status?.targets?.map((t) => [t.name, t.state, t.fingerprintSHA256])).toEqual(targets.map((t) => [t, 'Synced', renewed.fingerprintSHA256]));
    for (const t of targets) expect(emulator.servedFingerprint(t.startsWith('*.') ? t.slice(1) : t)).toBe(renewed.fingerprintSHA256);
  });

  it('rides out ServiceBusy and throttling storms', async () => {
    const n = await namespace();
    const targets = domains(n, 'a', 'b');
    emulator.busy('*', { untilMs: 1_500 });
    emulator.throttle({ times: 6 });
    const cert = await issueCertificate({ dnsNames: [`*.${n}.example.com`] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'storm', secretName: 'tls', domains: targets });
    await env.waitForReason(n, 'storm', 'Synced', undefined, 20_000);
    const answered = emulator.calls.filter((c) => targets.includes(c.domain ?? '')).map((c) => c.code);
    expect(answered).toContain('ServiceBusy');
    for (const t of targets) expect(emulator.servedFingerprint(t)).toBe(cert.fingerprintSHA256);
  });

  // Every documented terminal code of SetCdnDomainSSLCertificate becomes ProviderRejected naming it.
  const terminal = Object.keys(SET_CERTIFICATE_ERRORS).filter((c) => c !== 'ServiceBusy' && c !== 'Certificate.Duplicated');
  it.each(terminal)('%s → ProviderRejected with the code and request id', async (code) => {
    const n = await namespace();
    const [target] = domains(n, 'www') as [string];
    emulator.failWith(code, { domain: target, action: 'SetCdnDomainSSLCertificate', times: 1_000 });
    const cert = await issueCertificate({ dnsNames: [target] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'x', secretName: 'tls', domains: [target] });
    const b = await env.waitForReason(n, 'x', 'ProviderRejected');
    const message = b.status?.conditions?.[0]?.message ?? '';
    expect(message).toContain(code);
    expect(message).toMatch(/RequestId [0-9A-F-]{8,}/i);
    expect(b.status?.targets?.[0]).toMatchObject({ name: target, state: 'Failed' });
    await env.deleteBinding(n, 'x');
  });

  it('retries a domain that fails alone, alone', async () => {
    const n = await namespace();
    const [ok, flaky] = domains(n, 'ok', 'flaky') as [string, string];
    // More ServiceBusy answers than one reconcile's in-call retries: the key goes back to the queue.
    emulator.failWith('ServiceBusy', { domain: flaky, action: 'SetCdnDomainSSLCertificate', times: 6 });
    const cert = await issueCertificate({ dnsNames: [ok, flaky] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'pair', secretName: 'tls', domains: [ok, flaky] });
    await env.waitForReason(n, 'pair', 'Synced', undefined, 20_000);
    expect(setCalls(ok).length).toBe(1);
    expect(setCalls(flaky).length).toBe(7);
  });

  it('drift (a console change) is corrected at the next check, and a restart in sync makes no Set call', async () => {
    await env.stopOperator();
    const fast = await startEnv({ resyncIntervalMs: 1_500 });
    try {
      const n = await namespace();
      const [target] = domains(n, 'drift') as [string];
      const cert = await issueCertificate({ dnsNames: [target] });
      await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
      await env.createBinding({ namespace: n, name: 'd', secretName: 'tls', domains: [target] });
      await env.waitForReason(n, 'd', 'Synced');
      const other = await issueCertificate({ dnsNames: [target] });
      emulator.drift(target, other.chainPem, other.keyPem);
      await waitFor('drift corrected', () => emulator.servedFingerprint(target) === cert.fingerprintSHA256, 10_000);
    } finally {
      await fast.stopOperator();
    }
    const before = emulator.calls.filter((c) => c.action === 'SetCdnDomainSSLCertificate').length;
    const restarted = await startEnv();
    try {
      const reconciled = () => restarted.metrics.reconcileTotal.get().then((m) => m.values.reduce((s, v) => s + v.value, 0));
      await waitFor('every binding reconciled after restart', async () => (await reconciled()) >= restarted.operator!.index.size);
      expect(emulator.calls.filter((c) => c.action === 'SetCdnDomainSSLCertificate').length).toBe(before);
    } finally {
      await restarted.stopOperator();
      await env.startOperator();
    }
  });

  it('leaks no key material or credential into logs, status, Events or metrics under transport faults', async () => {
    const n = await namespace();
    const targets = domains(n, 'r', 't');
    emulator.reset({ times: 2, action: 'SetCdnDomainSSLCertificate' });
    emulator.hang({ times: 2, action: 'SetCdnDomainSSLCertificate' });
    emulator.html5xx({ status: 502, times: 2, action: 'SetCdnDomainSSLCertificate' });
    const cert = await issueCertificate({ dnsNames: [`*.${n}.example.com`] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'h', secretName: 'tls', domains: targets });
    await env.waitForReason(n, 'h', 'Synced', undefined, 20_000);
    expect(emulator.calls.map((c) => c.code)).toEqual(expect.arrayContaining(['RESET', 'HANG']));

    const outputs = [
      env.logs.text,
      JSON.stringify(await env.getBinding(n, 'h')),
      JSON.stringify(await env.events(n)),
      await env.metrics.registry.metrics(),
    ];
    for (const text of outputs) {
      expect(containsKeyMaterial(text, cert.keyPem)).toBe(false);
      expect(text).not.toContain(encodeURIComponent(cert.keyPem.split('\n')[1] ?? 'x'));
      expect(text).not.toContain(KEY_SECRET);
    }
  });
});
