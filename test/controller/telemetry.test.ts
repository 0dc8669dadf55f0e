// /healthz, /readyz and /metrics as a kubelet and Prometheus see them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Endpoints } from '../../src/telemetry/server.ts';
import { issueCertificate } from '../fixtures/certs.ts';
import { tlsSecret } from '../fixtures/secrets.ts';
import { TestEnv, waitFor } from '../harness/env.ts';

let env: TestEnv;
let endpoints: Endpoints;
let base: string;

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  // Slow the first list of bindings so readiness can be seen before the caches sync.
  env = await TestEnv.start({ deferOperator: true, tuning: { stallTimeoutMs: 60_000, watchHealthMs: 1_500 } });
  env.api.faults.delay({ verb: 'list', resource: 'cdncertificatebindings', ms: 1_000, times: 1 });
  const starting = env.startOperator();
  await waitFor('operator constructed', () => env.operator);
  const op = env.operator!;
  endpoints = new Endpoints({ liveness: op.livenessChecks(), readiness: op.readinessChecks(), registry: env.metrics.registry });
  const address = await endpoints.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${address.port}`;
  expect((await get('/readyz')).status).toBe(503);
  await starting;
});

afterAll(async () => {
  await endpoints.close();
  await env.stop();
});

describe('health', () => {
  it('/readyz turns 200 once the caches are synced', async () => {
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.text).toContain('[+]caches ok');
  });

  it('/healthz fails while a watch is stalled, and recovers when it flows again', async () => {
    expect((await get('/healthz')).status).toBe(200);
    env.api.faults.stallWatches();
    const failing = await waitFor('healthz to fail', async () => {
      const r = await get('/healthz');
      return r.status === 500 ? r : undefined;
    }, 10_000);
    expect(failing.text).toMatch(/\[-\]watch:(bindings|secrets) failed: no list or watch progress/);
    env.api.faults.clear();
    await waitFor('healthz to recover', async () => (await get('/healthz')).status === 200, 10_000);
  });
});

describe('metrics', () => {
  it('exposes reconciles, queue, provider calls, expiry and last sync per binding, and leader status', async () => {
    const cert = await issueCertificate({ dnsNames: ['metrics.example.com'] });
    await env.createNamespace('m');
    await env.applySecret(tlsSecret({ namespace: 'm', name: 'tls', cert }));
    await env.createBinding({ namespace: 'm', name: 'site', secretName: 'tls', domains: ['metrics.example.com'] });
    await env.waitForReason('m', 'site', 'Synced');
    env.metrics.calls()({ provider: 'alibaba', action: 'SetCdnDomainSSLCertificate', code: 'OK', seconds: 0.1 });
    env.metrics.leader.set(1);

    const { status, text } = await get('/metrics');
    expect(status).toBe(200);
    for (const name of [
      'cdn_cert_sync_reconcile_total',
      'cdn_cert_sync_reconcile_duration_seconds_bucket',
      'cdn_cert_sync_workqueue_depth',
      'cdn_cert_sync_workqueue_adds_total',
      'cdn_cert_sync_workqueue_retries_total',
      'cdn_cert_sync_workqueue_queue_duration_seconds_bucket',
      'cdn_cert_sync_provider_api_calls_total',
      'cdn_cert_sync_certificate_expiry_timestamp_seconds',
      'cdn_cert_sync_last_sync_timestamp_seconds',
      'cdn_cert_sync_leader',
    ]) {
      expect(text, name).toContain(name);
    }
    expect(text).toMatch(/cdn_cert_sync_reconcile_total\{result="success"\} [1-9]/);
    expect(text).toContain(`cdn_cert_sync_certificate_expiry_timestamp_seconds{namespace="m",name="site"} ${Math.floor(cert.notAfter.getTime() / 1000)}`);
    expect(text).toContain('cdn_cert_sync_provider_api_calls_total{provider="alibaba",action="SetCdnDomainSSLCertificate",code="OK"} 1');
    expect(text).not.toContain('metrics.example.com');

    // A deleted binding's series go away with it.
    await env.deleteBinding('m', 'site');
    await waitFor('series removed', async () => !(await get('/metrics')).text.includes('name="site"'));
  });
});
