// Riding out what the real services do under load and at the edges:
// rate limits, busy hosts, eventual consistency, flaky networks, bad
// credentials.
import { afterEach, describe, expect, it } from 'vitest';
import type { BindingRef, Outcome } from '../../../src/providers/provider.ts';
import { DEFAULT_OPTIONS } from '../../emulators/tencent/options.ts';
import { BINDING, bundle, HOSTS, startHarness, ZONE, type Harness } from '../../emulators/tencent/testing.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const codesOf = (harness: Harness, action: string) => harness.emulator.calls.filter((c) => c.action === action).map((c) => c.code);
const describeOutcomes = (outcomes: Outcome[]) => outcomes.map((o) => (o.ok ? 'ok' : o.error.describe()));

describe('throttling', () => {
  it('keeps many concurrent deploys on one account under the documented limits: the service never says "too fast"', async () => {
    const hosts = Array.from({ length: 12 }, (_, i) => `site${i}.example.com`);
    // The driver's own limits (rateLimits: {} keeps the defaults); the emulator enforces 20/s Modify, 10/s Upload.
    h = await startHarness({ hosts, emulator: { rateLimits: DEFAULT_OPTIONS.rateLimits }, driver: { rateLimits: {} } });
    const harness = h;
    const certs = await Promise.all(hosts.map((host) => bundle([host])));

    const outcomes = await Promise.all(
      hosts.map((host, i) => {
        const binding: BindingRef = { namespace: 'tenants', name: `site-${i}`, uid: `uid-${i}` };
        return harness.provider([host]).deploy({ binding, targets: [host], certificate: certs[i] as (typeof certs)[number], observed: [] });
      }),
    );

    expect(outcomes.flat().map((o) => o.ok)).toEqual(Array(hosts.length).fill(true));
    expect(harness.emulator.rateLimited()).toBe(0);
    expect(codesOf(harness, 'UploadCertificate')).toEqual(Array(hosts.length).fill('OK'));
    expect(codesOf(harness, 'ModifyHostsCertificate')).toEqual(Array(hosts.length).fill('OK'));
    expect(harness.emulator.uploads()).toHaveLength(hosts.length);
  });

  it('control: without the client-side limits the same burst is refused by the service', async () => {
    const hosts = Array.from({ length: 12 }, (_, i) => `site${i}.example.com`);
    h = await startHarness({
      hosts,
      emulator: { rateLimits: DEFAULT_OPTIONS.rateLimits },
      driver: { rateLimits: { UploadCertificate: 10_000 }, retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1 } },
    });
    const harness = h;
    const certs = await Promise.all(hosts.map((host) => bundle([host])));

    const outcomes = await Promise.all(
      hosts.map((host, i) =>
        harness.provider([host]).deploy({ binding: { ...BINDING, name: `site-${i}` }, targets: [host], certificate: certs[i] as (typeof certs)[number], observed: [] }),
      ),
    );

    expect(harness.emulator.rateLimited('UploadCertificate')).toBeGreaterThan(0);
    const refused = outcomes.flat().filter((o) => !o.ok);
    expect(refused.length).toBe(harness.emulator.rateLimited('UploadCertificate'));
    expect(refused.every((o) => !o.ok && o.error.code === 'RequestLimitExceeded' && o.error.retryable)).toBe(true);
  });

  it('rides out a storm of rate-limit answers with in-call retries', async () => {
    h = await startHarness();
    h.emulator.failWith('RequestLimitExceeded', { action: 'UploadCertificate', times: 2 });
    h.emulator.failWith('LimitExceeded.RateLimitExceeded', { action: 'ModifyHostsCertificate', times: 3 });

    const outcomes = await h.provider().deploy({ binding: BINDING, targets: HOSTS, certificate: await bundle(), observed: [] });

    expect(describeOutcomes(outcomes)).toEqual(['ok', 'ok', 'ok']);
    expect(codesOf(h, 'UploadCertificate')).toEqual(['RequestLimitExceeded', 'RequestLimitExceeded', 'OK']);
    expect(codesOf(h, 'ModifyHostsCertificate')).toEqual([
      'LimitExceeded.RateLimitExceeded',
      'LimitExceeded.RateLimitExceeded',
      'LimitExceeded.RateLimitExceeded',
      'OK',
    ]);
    expect(h.emulator.uploads()).toHaveLength(1);
  });

  it('hands a storm that outlasts the retries back as a retryable failure for the queue to back off', async () => {
    h = await startHarness();
    h.emulator.failWith('LimitExceeded.RateLimitExceeded', { action: 'ModifyHostsCertificate', times: Infinity });
    const outcomes = await h.provider().deploy({ binding: BINDING, targets: HOSTS, certificate: await bundle(), observed: [] });
    expect(outcomes.every((o) => !o.ok && o.error.code === 'LimitExceeded.RateLimitExceeded' && o.error.retryable)).toBe(true);
    expect(outcomes.every((o) => !o.ok && o.error.retryAfterMs === 1_000)).toBe(true);
    // 1 attempt + FAST_RETRY.retries
    expect(codesOf(h, 'ModifyHostsCertificate')).toHaveLength(5);
  });
});

describe('busy hosts and eventual consistency', () => {
  it('waits out InvalidParameter.ActionInProgress after a recent change to the host', async () => {
    // The window outlasts the renewal's upload by far; the first retry (retryAfterMs, capped at 4 x maxTimeoutMs) outlasts the window.
    h = await startHarness({ emulator: { actionInProgressMs: 400 }, driver: { retry: { retries: 4, minTimeoutMs: 20, maxTimeoutMs: 150 } } });
    const provider = h.provider();
    const [first, renewal] = await Promise.all([bundle(), bundle()]);
    await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: first, observed: [] });

    const outcomes = await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: renewal, observed: [] });

    expect(describeOutcomes(outcomes)).toEqual(['ok', 'ok', 'ok']);
    const codes = codesOf(h, 'ModifyHostsCertificate');
    expect(codes[0]).toBe('OK');
    expect(codes[1]).toBe('InvalidParameter.ActionInProgress');
    expect(codes.at(-1)).toBe('OK');
    const renewalId = h.emulator.uploads()[1]?.id;
    for (const host of HOSTS) expect(h.emulator.hostCertificate(ZONE, host).certIds).toEqual([renewalId]);
  });

  it('retries ResourceUnavailable.CertNotFound right after an upload, until EdgeOne sees the certificate', async () => {
    h = await startHarness({ emulator: { certPropagationMs: 60 } });
    const outcomes = await h.provider().deploy({ binding: BINDING, targets: HOSTS, certificate: await bundle(), observed: [] });
    expect(describeOutcomes(outcomes)).toEqual(['ok', 'ok', 'ok']);
    const codes = codesOf(h, 'ModifyHostsCertificate');
    expect(codes[0]).toBe('ResourceUnavailable.CertNotFound');
    expect(codes.at(-1)).toBe('OK');
  });
});

describe('network faults', () => {
  it('retries a reset connection and a timed-out request, and succeeds', async () => {
    h = await startHarness({ requestTimeoutMs: 200 });
    h.emulator.reset({ action: 'UploadCertificate', times: 1 });
    h.emulator.hang({ action: 'ModifyHostsCertificate', times: 1 });

    const outcomes = await h.provider().deploy({ binding: BINDING, targets: HOSTS, certificate: await bundle(), observed: [] });

    expect(describeOutcomes(outcomes)).toEqual(['ok', 'ok', 'ok']);
    expect(codesOf(h, 'UploadCertificate')).toEqual(['RESET', 'OK']);
    expect(codesOf(h, 'ModifyHostsCertificate')).toEqual(['HANG', 'OK']);
    expect(h.calls.map((c) => c.code)).toEqual(['ECONNRESET', 'OK', 'ETIMEDOUT', 'OK']);
  });

  it('reports persistent non-200 answers as a retryable failure with the HTTP status', async () => {
    h = await startHarness();
    h.emulator.failHttp(502, { action: 'DescribeAccelerationDomains', times: Infinity });
    const observed = await h.provider().observe({ binding: BINDING, targets: HOSTS });
    expect(observed.map((o) => (o.state === 'error' ? [o.error.code, o.error.retryable, o.error.httpStatus] : o.state))).toEqual(
      Array(3).fill(['HTTP502', true, 502]),
    );
    expect(codesOf(h, 'DescribeAccelerationDomains')).toEqual(Array(5).fill('HTTP502'));
  });

  it('gives up on a hanging service after the request timeout, per attempt', async () => {
    h = await startHarness({ requestTimeoutMs: 100, driver: { retry: { retries: 1, minTimeoutMs: 1, maxTimeoutMs: 2 } } });
    h.emulator.hang({ times: Infinity });
    const started = performance.now();
    const outcomes = await h.provider().deploy({ binding: BINDING, targets: HOSTS, certificate: await bundle(), observed: [] });
    const elapsed = performance.now() - started;
    expect(outcomes.every((o) => !o.ok && o.error.code === 'ETIMEDOUT' && o.error.retryable)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(5_000);
  });
});

describe('credentials', () => {
  it('reports a wrong secretKey (bad signature) as terminal, without retrying', async () => {
    h = await startHarness();
    const provider = h.driver.connect(
      { provider: 'tencent', spec: { zoneId: ZONE, hosts: [...HOSTS] } },
      { secretId: h.credentials.secretId, secretKey: 'not-the-right-secret-key' },
    );
    const observed = await provider.observe({ binding: BINDING, targets: HOSTS });
    expect(observed[0]).toMatchObject({ state: 'error', error: { code: 'AuthFailure.SignatureFailure', retryable: false } });
    expect(codesOf(h, 'DescribeAccelerationDomains')).toEqual(['AuthFailure.SignatureFailure']);
  });

  it('reports an unknown SecretId as terminal', async () => {
    h = await startHarness();
    const provider = h.driver.connect({ provider: 'tencent', spec: { zoneId: ZONE, hosts: [...HOSTS] } }, { secretId: 'AKIDunknown', secretKey: 'whatever-key-123' });
    const outcomes = await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: await bundle(), observed: [] });
    expect(outcomes.every((o) => !o.ok && o.error.code === 'AuthFailure.SecretIdNotFound' && !o.error.retryable)).toBe(true);
    expect(h.emulator.uploads()).toHaveLength(0);
  });

  it('picks up a rotated secretKey for the same SecretId', async () => {
    h = await startHarness();
    const scope = { provider: 'tencent', spec: { zoneId: ZONE, hosts: [...HOSTS] } };
    const before = await h.driver.connect(scope, h.credentials).observe({ binding: BINDING, targets: ['example.com'] });
    expect(before[0]?.state).toBe('disabled');
    h.emulator.addAccount(h.credentials.secretId, 'rotated-secret-key-0001');
    h.emulator.addZone(h.credentials.secretId, ZONE, HOSTS);
    const after = await h.driver.connect(scope, { secretId: h.credentials.secretId, secretKey: 'rotated-secret-key-0001' }).observe({ binding: BINDING, targets: ['example.com'] });
    expect(after[0]?.state).toBe('disabled');
  });
});
