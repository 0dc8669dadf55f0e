// WATCH_NAMESPACE: one reflector per watched namespace, sharing the caches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate } from '../fixtures/certs.ts';
import { tlsSecret } from '../fixtures/secrets.ts';
import { TestEnv, waitFor } from '../harness/env.ts';

let env: TestEnv;

beforeAll(async () => {
  env = await TestEnv.start({ deferOperator: true, config: { watchNamespaces: ['wa', 'wb'] } });
  for (const n of ['wa', 'wb', 'wc']) {
    await env.createNamespace(n);
    const cert = await issueCertificate({ dnsNames: [`${n}.example.com`] });
    await env.applySecret(tlsSecret({ namespace: n, name: 'tls', cert }));
    await env.createBinding({ namespace: n, name: 'site', secretName: 'tls', domains: [`${n}.example.com`] });
  }
  await env.startOperator();
});
afterAll(async () => {
  await env.stop();
});

describe('WATCH_NAMESPACE', () => {
  it('reconciles bindings in the watched namespaces only', async () => {
    await env.waitForReason('wa', 'site', 'Synced');
    await env.waitForReason('wb', 'site', 'Synced');
    expect((await env.getBinding('wc', 'site'))?.status).toBeUndefined();
    expect(env.cdn.calls.some((c) => c.binding.startsWith('wc/'))).toBe(false);
    expect(env.api.requests.some((r) => r.user === 'operator' && r.namespace === 'wc')).toBe(false);
  });

  it('a relist of one namespace keeps the other namespace cached', async () => {
    env.api.compact();
    env.api.faults.dropWatches();
    // Every reflector relists after 410 Gone; each only replaces its own namespace.
    await waitFor('relists', () => env.api.requests.filter((r) => r.user === 'operator' && r.verb === 'list').length >= 8);
    expect(env.operator!.index.size).toBe(2);
    expect(env.operator!.secrets.size).toBe(2);
    const renewed = await issueCertificate({ dnsNames: ['wb.example.com'] });
    await env.applySecret(tlsSecret({ namespace: 'wb', name: 'tls', cert: renewed }));
    await waitFor('renewal in wb', () => env.cdn.serving('wb.example.com') === renewed.fingerprintSHA256);
  });
});
