// Provider faults, Alibaba Cloud CDN: the real driver (@alicloud/cdn20180510)
// over HTTP to the signature-checking emulator, the operator in process.
// Each scenario renews a certificate while the CDN misbehaves, then ends with
// the shared invariant over every binding of the file (so a fault in one
// scenario disturbing another's binding fails too).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, type IssuedCert } from '../fixtures/certs.ts';
import { waitFor } from '../harness/env.ts';
import { Stack } from './stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await Stack.start({ alibaba: true, alibabaProxy: true, requestTimeoutMs: 500 });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => {
  stack.clearFaults();
  stack.alibaba!.proxy!.delay('SetCdnDomainSSLCertificate', 0);
});

const emulator = () => stack.alibaba!.emulator;
const codes = (domains: readonly string[]) => emulator().calls.filter((c) => c.domain && domains.includes(c.domain)).map((c) => c.code);
const cert = (ns: string): Promise<IssuedCert> => issueCertificate({ dnsNames: [`${ns}.example.com`, `*.${ns}.example.com`], keyAlgorithm: 'ecdsa' });

/** A synced binding on `labels` domains of a fresh namespace. */
async function synced(prefix: string, ...labels: string[]) {
  const ns = await stack.namespace(prefix);
  const domains = stack.domains(ns, ...labels);
  await stack.renew(ns, 'tls', await cert(ns));
  await stack.bind({ namespace: ns, name: 'site', secretName: 'tls', domains });
  await stack.env.waitForReason(ns, 'site', 'Synced');
  return { ns, domains };
}

describe('Alibaba Cloud CDN faults', () => {
  it('busy windows: a renewal during ServiceBusy on every domain lands when the window closes', async () => {
    const { ns, domains } = await synced('busy', 'www', 'img', '*');
    emulator().busy('*', { untilMs: 2_500 });
    await stack.renew(ns, 'tls', await cert(ns));
    await waitFor('ServiceBusy answered', () => codes(domains).includes('ServiceBusy'));
    await stack.check();
  });

  it('throttling: Throttling.User with a retry-after on every call for a while', async () => {
    const { ns, domains } = await synced('throttle', 'a', 'b');
    emulator().throttle({ times: 12, retryAfterMs: 40 });
    await stack.renew(ns, 'tls', await cert(ns));
    await stack.check();
    expect(codes(domains)).toContain('Throttling.User');
  });

  it('a rate-limit storm: many bindings renewed at once against a tight per-account limit', async () => {
    emulator().rateLimit(6);
    const sites: Array<{ ns: string; domains: string[] }> = [];
    for (let i = 0; i < 4; i++) {
      const ns = await stack.namespace('storm');
      sites.push({ ns, domains: stack.domains(ns, 'www', 'api') });
    }
    await Promise.all(sites.map(async ({ ns, domains }) => {
      await stack.renew(ns, 'tls', await cert(ns));
      await stack.bind({ namespace: ns, name: 'site', secretName: 'tls', domains });
    }));
    // Renew every one again before the first round settled.
    await Promise.all(sites.map(async ({ ns }) => stack.renew(ns, 'tls', await cert(ns))));
    await stack.check({ timeoutMs: 30_000 });
    expect(emulator().rateLimited).toBeGreaterThan(0);
  }, 45_000);

  it('5xx answers and HTML error pages from a gateway', async () => {
    const { ns, domains } = await synced('5xx', 'www', 'cdn');
    emulator().html5xx({ status: 502, times: 3, action: 'SetCdnDomainSSLCertificate' });
    emulator().html5xx({ status: 504, times: 2, action: 'DescribeDomainCertificateInfo' });
    emulator().failWith('InternalError', { times: 2, action: 'SetCdnDomainSSLCertificate' });
    emulator().failWith('ServiceUnavailable', { times: 2 });
    await stack.renew(ns, 'tls', await cert(ns));
    await stack.check();
    expect(codes(domains)).toEqual(expect.arrayContaining(['HTML502', 'HTML504', 'InternalError', 'ServiceUnavailable']));
  });

  it('latency beyond the request timeout: Syncing with a timeout, then the renewal lands once the CDN is fast again (no stray copies)', async () => {
    const { ns, domains } = await synced('slow', 'www');
    emulator().latency(800);
    await stack.renew(ns, 'tls', await cert(ns));
    await waitFor('a timed-out call', () => stack.log.forBinding(`${ns}/site`).some((c) => c.results.some((r) => r.code === 'ETIMEDOUT')), 15_000);
    const b = await stack.env.waitForReason(ns, 'site', 'Syncing', undefined, 15_000);
    expect(b.status?.conditions?.[0]?.message).toMatch(/ETIMEDOUT/);
    // A second renewal while still slow: only the latest may end up served.
    await stack.renew(ns, 'tls', await cert(ns));
    emulator().latency(0);
    await stack.check();
    // The slow requests did arrive (the emulator answers late): each name is stored once.
    const names = emulator().certificates(stack.alibaba!.accountId).map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(codes(domains)).toContain('OK');
  }, 45_000);

  it('timed-out uploads of an older certificate that the CDN applies late do not leave it serving that one', async () => {
    const { ns, domains } = await synced('late', 'www');
    const [www] = domains as [string];
    const proxy = stack.alibaba!.proxy!;
    // Uploads reach the CDN 3 s late; the driver gives up after 0.5 s, four times. The CDN still
    // applies each one: the four uploads of `older` land between 3 and 5 s from now.
    proxy.delay('SetCdnDomainSSLCertificate', 3_000);
    const older = await cert(ns);
    await stack.renew(ns, 'tls', older);
    await waitFor('the uploads timed out', () => stack.log.forBinding(`${ns}/site`).some((c) => c.action === 'deploy' && c.results.some((r) => r.code === 'ETIMEDOUT')), 10_000);
    // The CDN is prompt again for new requests; the renewal that follows is pushed and verified at once…
    proxy.delay('SetCdnDomainSSLCertificate', 0);
    const newer = await cert(ns);
    await stack.renew(ns, 'tls', newer);
    try {
      await stack.env.waitForReason(ns, 'site', 'Synced', (b) => b.status?.certificate?.fingerprintSHA256 === newer.fingerprintSHA256);
      // …then a late upload of `older` lands: the CDN serves it. The operator must notice and push `newer` again.
      await waitFor('a late upload applied', () => emulator().servedFingerprint(www) === older.fingerprintSHA256, 10_000);
      expect(proxy.late).toBeGreaterThan(0);
      await stack.check({ bindings: [{ namespace: ns, name: 'site' }], timeoutMs: 10_000 });
    } finally {
      stack.untrack(ns, 'site');
    }
  }, 45_000);

  it('connection resets on every kind of call', async () => {
    const { ns, domains } = await synced('reset', 'www', 'static');
    emulator().reset({ times: 3, action: 'SetCdnDomainSSLCertificate' });
    emulator().reset({ times: 2, action: 'DescribeDomainCertificateInfo' });
    await stack.renew(ns, 'tls', await cert(ns));
    await stack.check();
    expect(codes(domains)).toContain('RESET');
  });

  it('hangs: requests that are never answered', async () => {
    const { ns, domains } = await synced('hang', 'www');
    emulator().hang({ times: 2, action: 'SetCdnDomainSSLCertificate' });
    emulator().hang({ times: 1, action: 'DescribeDomainCertificateInfo' });
    await stack.renew(ns, 'tls', await cert(ns));
    await stack.check();
    expect(codes(domains).filter((c) => c === 'HANG').length).toBe(3);
  });

  describe('credentials that stop working, then are fixed', () => {
    beforeAll(async () => {
      // A terminal ProviderRejected is looked at again at the resync interval: make it short.
      await stack.restartOperator({ resyncIntervalMs: 1_500 });
    });

    it('an access key disabled in the account: ProviderRejected naming the code, then Synced once it is enabled again', async () => {
      const ns = await stack.namespace('keyoff');
      const domains = stack.domains(ns, 'www', 'img');
      const { accountId } = stack.alibaba!;
      const keyId = `LTAI5tRotating${ns}`;
      const keySecret = `rotating-secret-${ns}-Q9x2Lm7Vb4`;
      stack.ledger.credential(keySecret);
      emulator().addAccessKey(accountId, keyId, keySecret);
      await stack.env.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'ali' }, stringData: { accessKeyId: keyId, accessKeySecret: keySecret } } });
      await stack.renew(ns, 'tls', await cert(ns));
      await stack.bind({ namespace: ns, name: 'site', secretName: 'tls', domains, credentials: 'ali' });
      await stack.env.waitForReason(ns, 'site', 'Synced');

      emulator().addAccessKey(accountId, keyId, keySecret, { inactive: true });
      await stack.renew(ns, 'tls', await cert(ns));
      const rejected = await stack.env.waitForReason(ns, 'site', 'ProviderRejected');
      expect(rejected.status?.conditions?.[0]?.message).toContain('InvalidAccessKeyId.Inactive');

      emulator().addAccessKey(accountId, keyId, keySecret);
      await stack.check();
    });

    it('a credentials Secret with a wrong secret (SignatureDoesNotMatch), fixed in place', async () => {
      const ns = await stack.namespace('badsig');
      const domains = stack.domains(ns, 'www');
      const { accountId, keySecret } = stack.alibaba!;
      const wrong = `not-the-right-secret-${ns}-7Hq3`;
      stack.ledger.credential(wrong);
      await stack.env.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'ali' }, stringData: { accessKeyId: accountId, accessKeySecret: wrong } } });
      await stack.renew(ns, 'tls', await cert(ns));
      await stack.bind({ namespace: ns, name: 'site', secretName: 'tls', domains, credentials: 'ali' });
      const rejected = await stack.env.waitForReason(ns, 'site', 'ProviderRejected');
      expect(rejected.status?.conditions?.[0]?.message).toContain('SignatureDoesNotMatch');

      await stack.env.core.replaceNamespacedSecret({ namespace: ns, name: 'ali', body: { metadata: { name: 'ali' }, stringData: { accessKeyId: accountId, accessKeySecret: keySecret } } });
      await stack.renew(ns, 'tls', await cert(ns));
      await stack.check();
    });
  });
});
