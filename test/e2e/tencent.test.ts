// Tencent Cloud EdgeOne end to end: the operator in process, the test API
// server, and the real tencentcloud SDKs (teo client and the SSL
// CommonClient) talking HTTP to the signature-checking emulator.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tencentDriver } from '../../src/providers/tencent/driver.ts';
import { TencentEmulator } from '../emulators/tencent/emulator.ts';
import { containsKeyMaterial, issueCertificate } from '../fixtures/certs.ts';
import { tlsSecret } from '../fixtures/secrets.ts';
import { TestEnv, waitFor } from '../harness/env.ts';

const SECRET_ID = 'AKIDe2eOperator0000000000000000';
const SECRET_KEY = 'e2e-tencent-key-Vb7nQ2xL9pR4tW8z';

let emulator: TencentEmulator;
let env: TestEnv;
let ns = 0;

async function zone(hostCount: number): Promise<{ n: string; zoneId: string; hosts: string[] }> {
  const n = `tc${++ns}`;
  await env.createNamespace(n);
  const zoneId = `zone-${n}e2e`;
  const hosts = Array.from({ length: hostCount }, (_, i) => `h${i}.${n}.example.com`);
  emulator.addZone(SECRET_ID, zoneId, hosts);
  return { n, zoneId, hosts };
}

const calls = (action: string, zoneId?: string) => emulator.calls.filter((c) => c.action === action && (!zoneId || c.zone === zoneId));
const okCalls = (action: string, zoneId?: string) => calls(action, zoneId).filter((c) => c.code === 'OK');

function startEnv(opts: { resyncIntervalMs?: number } = {}) {
  return TestEnv.start({
    ...(env ? { api: env.api } : {}),
    credentials: { secretId: SECRET_ID, secretKey: SECRET_KEY },
    config: { resyncIntervalMs: opts.resyncIntervalMs ?? 60 * 60_000 },
    drivers: ({ logger, metrics }) => [
      tencentDriver(
        { settings: { teoEndpoint: emulator.url, sslEndpoint: emulator.url, credentialsSecret: undefined }, requestTimeoutMs: 500, recordCall: metrics.calls(), logger },
        { retry: { retries: 3, minTimeoutMs: 10, maxTimeoutMs: 80 }, deleteTaskPolling: { attempts: 5, intervalMs: 10 } },
      ),
    ],
  });
}

beforeAll(async () => {
  emulator = await TencentEmulator.start();
  emulator.addAccount(SECRET_ID, SECRET_KEY);
  env = await startEnv();
});
afterAll(async () => {
  await env.stop();
  await emulator.stop();
});
afterEach(() => {
  emulator.clearFaults();
  emulator.configure({ actionInProgressMs: 0 });
});

const servedBy = (zoneId: string, host: string) => emulator.hostCertificate(zoneId, host).certIds[0];

describe('Tencent Cloud EdgeOne through the operator', () => {
  it('a renewal uploads once, binds every host in one call, records the id, then removes the previous upload', async () => {
    const { n, zoneId, hosts } = await zone(3);
    const first = await issueCertificate({ dnsNames: [`*.${n}.example.com`] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert: first }));
    await env.createBinding({ namespace: n, name: 'site', secretName: 'tls', tencent: { zoneId, hosts } });
    const synced = await env.waitForReason(n, 'site', 'Synced');
    const firstId = synced.status?.targets?.[0]?.certificateId;
    expect(firstId).toBeTruthy();
    expect(synced.status?.targets?.every((t) => t.certificateId === firstId && t.fingerprintSHA256 === first.fingerprintSHA256)).toBe(true);

    const uploadsBefore = okCalls('UploadCertificate').length;
    const modifiesBefore = okCalls('ModifyHostsCertificate', zoneId).length;
    const renewed = await issueCertificate({ dnsNames: [`*.${n}.example.com`] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert: renewed }));
    const after = await env.waitForReason(n, 'site', 'Synced', (b) => b.status?.certificate?.fingerprintSHA256 === renewed.fingerprintSHA256);
    const newId = after.status?.targets?.[0]?.certificateId;
    expect(newId).toBeTruthy();
    expect(newId).not.toBe(firstId);
    expect(okCalls('UploadCertificate').length - uploadsBefore).toBe(1);
    const modifies = okCalls('ModifyHostsCertificate', zoneId).slice(modifiesBefore);
    expect(modifies).toHaveLength(1);
    expect(modifies[0]!.hosts.sort()).toEqual([...hosts].sort());
    for (const h of hosts) expect(servedBy(zoneId, h)).toBe(newId);
    // The previous upload is cleaned up once nothing uses it.
    await waitFor('old upload deleted', () => !emulator.certificates(SECRET_ID).some((c) => c.id === firstId));
    expect(emulator.certificates(SECRET_ID).some((c) => c.id === newId)).toBe(true);
  });

  it('rides out ActionInProgress and rate-limit storms without exceeding the limit', async () => {
    const { n, zoneId, hosts } = await zone(2);
    emulator.configure({ actionInProgressMs: 300 });
    emulator.failWith('InvalidParameter.ActionInProgress', { action: 'ModifyHostsCertificate', times: 3 });
    emulator.failWith('LimitExceeded.RateLimitExceeded', { action: 'ModifyHostsCertificate', times: 2 });
    const limitedBefore = emulator.rateLimited();
    const cert = await issueCertificate({ dnsNames: [`*.${n}.example.com`] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'storm', secretName: 'tls', tencent: { zoneId, hosts } });
    await env.waitForReason(n, 'storm', 'Synced', undefined, 25_000);
    expect(calls('ModifyHostsCertificate', zoneId).map((c) => c.code)).toContain('InvalidParameter.ActionInProgress');
    // The injected answers above are ours; the emulator's own limiter never had to refuse us.
    expect(emulator.rateLimited() - limitedBefore).toBe(0);
  });

  const terminal = [
    'InvalidParameter.CertNotMatchDomain',
    'FailedOperation.CertificateHasExpired',
    'ResourceUnavailable.HostNotFound',
    'InvalidParameter.InvalidCertInfo',
    'UnauthorizedOperation.CamUnauthorized',
    'OperationDenied.ErrZoneIsAlreadyPaused',
  ];
  it.each(terminal)('%s → ProviderRejected with the code and RequestId', async (code) => {
    const { n, zoneId, hosts } = await zone(1);
    emulator.failWith(code, { action: 'ModifyHostsCertificate', host: hosts[0], times: 1_000 });
    const cert = await issueCertificate({ dnsNames: hosts });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'x', secretName: 'tls', tencent: { zoneId, hosts } });
    const b = await env.waitForReason(n, 'x', 'ProviderRejected');
    expect(b.status?.conditions?.[0]?.message).toContain(code);
    expect(b.status?.conditions?.[0]?.message).toMatch(/RequestId [0-9a-f-]{8,}/i);
    await env.deleteBinding(n, 'x');
  });

  it('corrects drift, and a crash between upload and bind converges after restart without a second upload', async () => {
    await env.stopOperator();
    const fast = await startEnv({ resyncIntervalMs: 1_500 });
    const { n, zoneId, hosts } = await zone(2);
    const cert = await issueCertificate({ dnsNames: [`*.${n}.example.com`] });
    const renewed = await issueCertificate({ dnsNames: [`*.${n}.example.com`] });
    try {
      await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
      await env.createBinding({ namespace: n, name: 'd', secretName: 'tls', tencent: { zoneId, hosts } });
      const b = await env.waitForReason(n, 'd', 'Synced');
      const ours = b.status!.targets![0]!.certificateId!;
      const foreign = emulator.addCertificate(SECRET_ID, await issueCertificate({ dnsNames: [hosts[0]!] }));
      emulator.drift(zoneId, hosts[0]!, foreign);
      await waitFor('drift corrected', () => servedBy(zoneId, hosts[0]!) === ours, 10_000);
      // A foreign upload is never ours to delete.
      expect(emulator.certificates(SECRET_ID).some((c) => c.id === foreign)).toBe(true);

      // Crash after the upload, before the bind: the bind hangs, the operator stops.
      emulator.hang({ action: 'ModifyHostsCertificate', times: 1_000 });
      await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert: renewed }));
      await waitFor('the upload', () => emulator.uploads().some((u) => u.fingerprintSHA256 === renewed.fingerprintSHA256));
    } finally {
      await fast.stopOperator();
    }
    emulator.clearFaults();
    const restarted = await startEnv();
    try {
      await env.waitForReason(n, 'd', 'Synced', (b) => b.status?.certificate?.fingerprintSHA256 === renewed.fingerprintSHA256);
      for (const h of hosts) expect(emulator.hostCertificate(zoneId, h).certIds).toHaveLength(1);
      expect(emulator.uploads().filter((u) => u.fingerprintSHA256 === renewed.fingerprintSHA256)).toHaveLength(1);
    } finally {
      await restarted.stopOperator();
      await env.startOperator();
    }
  });

  it('a restart in sync makes zero write calls', async () => {
    const { n, zoneId, hosts } = await zone(2);
    const cert = await issueCertificate({ dnsNames: [`*.${n}.example.com`] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'r', secretName: 'tls', tencent: { zoneId, hosts } });
    await env.waitForReason(n, 'r', 'Synced');
    await env.stopOperator();
    const writes = () => emulator.calls.filter((c) => ['UploadCertificate', 'ModifyHostsCertificate', 'DeleteCertificate'].includes(c.action)).length;
    const before = writes();
    const restarted = await startEnv();
    try {
      const reconciled = () => restarted.metrics.reconcileTotal.get().then((m) => m.values.reduce((s, v) => s + v.value, 0));
      await waitFor('every binding reconciled', async () => (await reconciled()) >= restarted.operator!.index.size);
      expect(writes()).toBe(before);
    } finally {
      await restarted.stopOperator();
      await env.startOperator();
    }
  });

  it('leaks no key material or credential under transport faults', async () => {
    const { n, zoneId, hosts } = await zone(2);
    emulator.reset({ action: 'UploadCertificate', times: 2 });
    emulator.hang({ action: 'UploadCertificate', times: 1 });
    emulator.failHttp(502, { action: 'ModifyHostsCertificate', times: 2 });
    const cert = await issueCertificate({ dnsNames: [`*.${n}.example.com`] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'h', secretName: 'tls', tencent: { zoneId, hosts } });
    await env.waitForReason(n, 'h', 'Synced', undefined, 20_000);
    const outputs = [env.logs.text, JSON.stringify(await env.getBinding(n, 'h')), JSON.stringify(await env.events(n)), await env.metrics.registry.metrics()];
    for (const text of outputs) {
      expect(containsKeyMaterial(text, cert.keyPem)).toBe(false);
      expect(text).not.toContain(SECRET_KEY);
    }
  });
});
