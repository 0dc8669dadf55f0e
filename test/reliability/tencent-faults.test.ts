// Provider faults, Tencent Cloud EdgeOne + SSL Certificates: the real driver
// (tencentcloud-sdk-nodejs) over HTTP to the emulator, the operator in
// process. Each scenario renews while the cloud misbehaves and ends with the
// shared invariant over every binding of the file, which includes "no
// certificate uploaded twice" from the emulator's upload records.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, type IssuedCert } from '../fixtures/certs.ts';
import { waitFor } from '../harness/env.ts';
import { Stack } from './stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await Stack.start({ tencent: true, requestTimeoutMs: 500 });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => {
  stack.clearFaults();
  stack.tencent!.emulator.configure({ actionInProgressMs: 0, rateLimits: {}, defaultRateLimit: 100_000 });
});

const emulator = () => stack.tencent!.emulator;
const codes = (hosts: readonly string[]) => emulator().calls.filter((c) => c.hosts.some((h) => hosts.includes(h)) || c.service === 'ssl').map((c) => c.code);
const cert = (ns: string): Promise<IssuedCert> =>
  issueCertificate({ dnsNames: [`${ns}.example.com`, `*.${ns}.example.com`], keyAlgorithm: 'ecdsa', withIntermediate: true });

async function synced(prefix: string, ...labels: string[]) {
  const ns = await stack.namespace(prefix);
  const hosts = stack.hosts(ns, ...labels);
  await stack.renew(ns, 'tls', await cert(ns));
  await stack.bindTencent({ namespace: ns, name: 'site', secretName: 'tls', hosts });
  await stack.env.waitForReason(ns, 'site', 'Synced');
  return { ns, hosts };
}

describe('Tencent Cloud EdgeOne faults', () => {
  it('busy windows: InvalidParameter.ActionInProgress after each change to a host', async () => {
    emulator().configure({ actionInProgressMs: 2_500 });
    const { ns, hosts } = await synced('busy', 'www', 'img');
    // Straight after the first bind: the hosts are still "in progress".
    await stack.renew(ns, 'tls', await cert(ns));
    await stack.check();
    expect(codes(hosts)).toContain('InvalidParameter.ActionInProgress');
  });

  it('throttling: RequestLimitExceeded and LimitExceeded.RateLimitExceeded answers', async () => {
    const { ns, hosts } = await synced('throttle', 'a', 'b');
    emulator().failWith('RequestLimitExceeded', { times: 4 });
    emulator().failWith('LimitExceeded.RateLimitExceeded', { action: 'ModifyHostsCertificate', times: 3 });
    await stack.renew(ns, 'tls', await cert(ns));
    await stack.check();
    expect(codes(hosts)).toEqual(expect.arrayContaining(['RequestLimitExceeded', 'LimitExceeded.RateLimitExceeded']));
  });

  it('a rate-limit storm: many bindings renewed at once against the service\'s per-second limits', async () => {
    emulator().configure({ rateLimits: { ModifyHostsCertificate: 2, UploadCertificate: 2 }, defaultRateLimit: 6 });
    const sites: Array<{ ns: string; hosts: string[] }> = [];
    for (let i = 0; i < 4; i++) {
      const ns = await stack.namespace('storm');
      sites.push({ ns, hosts: stack.hosts(ns, 'www', 'api') });
    }
    await Promise.all(sites.map(async ({ ns, hosts }) => {
      await stack.renew(ns, 'tls', await cert(ns));
      await stack.bindTencent({ namespace: ns, name: 'site', secretName: 'tls', hosts });
    }));
    await Promise.all(sites.map(async ({ ns }) => stack.renew(ns, 'tls', await cert(ns))));
    await stack.check({ timeoutMs: 30_000 });
    expect(emulator().rateLimited()).toBeGreaterThan(0);
  }, 45_000);

  it('5xx answers and HTML error pages from a gateway, and InternalError', async () => {
    const { ns, hosts } = await synced('5xx', 'www', 'cdn');
    emulator().failHttp(502, { times: 3 });
    emulator().failHttp(503, { action: 'UploadCertificate', times: 2 });
    emulator().failWith('InternalError.ProxyServer', { action: 'ModifyHostsCertificate', times: 2 });
    await stack.renew(ns, 'tls', await cert(ns));
    await stack.check();
    expect(codes(hosts)).toEqual(expect.arrayContaining(['HTTP502', 'HTTP503', 'InternalError.ProxyServer']));
  });

  it('latency beyond the request timeout: Syncing, then the renewal lands once fast again, uploaded once', async () => {
    const { ns } = await synced('slow', 'www');
    emulator().latency(800);
    await stack.renew(ns, 'tls', await cert(ns));
    await waitFor('a timed-out call', () => stack.log.forBinding(`${ns}/site`).some((c) => c.results.some((r) => r.code === 'ETIMEDOUT')), 15_000);
    const b = await stack.env.waitForReason(ns, 'site', 'Syncing', undefined, 15_000);
    expect(b.status?.conditions?.[0]?.message).toMatch(/ETIMEDOUT/);
    const last = await cert(ns);
    await stack.renew(ns, 'tls', last);
    emulator().latency(0);
    await stack.check();
    // Late uploads did arrive; Repeatable=false kept each certificate once (checked by the invariant too).
    expect(emulator().uploads().filter((u) => u.fingerprintSHA256 === last.fingerprintSHA256)).toHaveLength(1);
  }, 45_000);

  it('binds of an older certificate that timed out but that EdgeOne applies late leave the hosts serving the newer one', async () => {
    const { ns, hosts } = await synced('late', 'www');
    const [www] = hosts as [string];
    const binds = () => emulator().calls.filter((c) => c.action === 'ModifyHostsCertificate' && c.hosts.includes(www)).length;
    const before = binds();
    // Binding takes 3 s; the driver gives up after 0.5 s, four times. EdgeOne still applies each
    // request when its 3 s are up: the four binds of `older` land between 3 and 5 s from now.
    emulator().latency(3_000, 'ModifyHostsCertificate');
    const older = await cert(ns);
    await stack.renew(ns, 'tls', older);
    await waitFor('the binds timed out', () => stack.log.forBinding(`${ns}/site`).some((c) => c.action === 'deploy' && c.results.some((r) => r.code === 'ETIMEDOUT')), 10_000);
    // EdgeOne is fast again for new requests; the renewal that follows is bound and verified at once…
    emulator().latency(0, 'ModifyHostsCertificate');
    const newer = await cert(ns);
    await stack.renew(ns, 'tls', newer);
    await stack.env.waitForReason(ns, 'site', 'Synced', (b) => b.status?.certificate?.fingerprintSHA256 === newer.fingerprintSHA256);
    // …then the four late binds of `older` are applied (or refused): whatever EdgeOne did with them, the hosts end on `newer`.
    await waitFor('the late binds answered', () => binds() - before >= 5, 10_000);
    await stack.check();
    expect(stack.probes.tencent!.served((await stack.env.getBinding(ns, 'site'))!, www)).toBe(newer.fingerprintSHA256);
  }, 45_000);

  it('connection resets on every kind of call', async () => {
    const { ns, hosts } = await synced('reset', 'www', 'static');
    emulator().reset({ times: 4 });
    emulator().reset({ action: 'ModifyHostsCertificate', times: 2 });
    await stack.renew(ns, 'tls', await cert(ns));
    await stack.check();
    expect(codes(hosts)).toContain('RESET');
  });

  it('hangs: uploads and binds that are never answered', async () => {
    const { ns, hosts } = await synced('hang', 'www');
    emulator().hang({ action: 'UploadCertificate', times: 1 });
    emulator().hang({ action: 'ModifyHostsCertificate', times: 2 });
    await stack.renew(ns, 'tls', await cert(ns));
    await stack.check();
    expect(codes(hosts).filter((c) => c === 'HANG').length).toBe(3);
  });

  describe('credentials that stop working, then are fixed', () => {
    beforeAll(async () => {
      await stack.restartOperator({ resyncIntervalMs: 1_500 });
    });

    it('a secretKey that no longer signs (AuthFailure.SignatureFailure): ProviderRejected, then Synced once the Secret is fixed', async () => {
      const ns = await stack.namespace('badkey');
      const hosts = stack.hosts(ns, 'www', 'img');
      const { secretId, secretKey } = stack.tencent!;
      await stack.env.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'tc' }, stringData: { secretId, secretKey } } });
      await stack.renew(ns, 'tls', await cert(ns));
      await stack.bindTencent({ namespace: ns, name: 'site', secretName: 'tls', hosts, credentials: 'tc' });
      await stack.env.waitForReason(ns, 'site', 'Synced');

      const revoked = `revoked-${secretKey.slice(0, 8)}-Zx81kQ`;
      stack.ledger.credential(revoked);
      await stack.env.core.replaceNamespacedSecret({ namespace: ns, name: 'tc', body: { metadata: { name: 'tc' }, stringData: { secretId, secretKey: revoked } } });
      await stack.renew(ns, 'tls', await cert(ns));
      const rejected = await stack.env.waitForReason(ns, 'site', 'ProviderRejected');
      expect(rejected.status?.conditions?.[0]?.message).toContain('AuthFailure');

      await stack.env.core.replaceNamespacedSecret({ namespace: ns, name: 'tc', body: { metadata: { name: 'tc' }, stringData: { secretId, secretKey } } });
      await stack.check();
    });

    it('the key removed from the account (AuthFailure.SecretIdNotFound), then restored', async () => {
      const { ns } = await synced('gone', 'www');
      emulator().failWith('AuthFailure.SecretIdNotFound', { times: Number.POSITIVE_INFINITY, message: 'The SecretId is not found.' });
      await stack.renew(ns, 'tls', await cert(ns));
      const rejected = await stack.env.waitForReason(ns, 'site', 'ProviderRejected');
      expect(rejected.status?.conditions?.[0]?.message).toContain('AuthFailure.SecretIdNotFound');
      expect(rejected.status?.targets?.[0]?.state).toBe('Failed');
      emulator().clearFaults();
      await stack.check();
    });
  });
});
