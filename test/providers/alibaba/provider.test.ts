// The Alibaba provider through the real SDK against the emulator: deploy,
// observe, disable, wildcard spelling, credentials, and Certificate.Duplicated.
import { afterEach, describe, expect, it } from 'vitest';
import { certName } from '../../../src/providers/alibaba/certname.ts';
import { alibaba } from '../../../src/providers/alibaba/index.ts';
import { ProviderError, type Observation, type Outcome } from '../../../src/providers/provider.ts';
import {
  ACCESS_KEY_ID,
  ACCESS_KEY_SECRET,
  BINDING,
  callsTo,
  certificate,
  CREDENTIALS,
  rig,
  scope,
  type Rig,
} from './harness.ts';

const SET = 'SetCdnDomainSSLCertificate';
const DESCRIBE = 'DescribeDomainCertificateInfo';
const LIST = 'DescribeCdnSSLCertificateList';

let current: Rig | undefined;
afterEach(async () => {
  await current?.emulator.stop();
  current = undefined;
});

async function start(opts: Parameters<typeof rig>[0] = {}): Promise<Rig> {
  current = await rig(opts);
  return current;
}

function ok(outcome: Outcome | undefined): Outcome & { ok: true } {
  if (!outcome?.ok) throw new Error(`expected ok, got ${outcome ? outcome.error.describe() : 'nothing'}`);
  return outcome;
}

function failed(outcome: Outcome | undefined): ProviderError {
  if (!outcome || outcome.ok) throw new Error('expected a failed outcome');
  expect(outcome.error).toBeInstanceOf(ProviderError);
  return outcome.error;
}

function serving(o: Observation | undefined): Observation & { state: 'serving' } {
  if (o?.state !== 'serving') throw new Error(`expected serving, got ${JSON.stringify(o)}`);
  return o;
}

describe('deploy and observe', () => {
  it('deploys to several domains, then observes the fingerprint on each', async () => {
    const { emulator, driver, calls } = await start({ domains: ['a.example.com', 'b.example.com', 'example.com'] });
    // RSA with an intermediate, as cert-manager issues most often: the longest query string the SDK sends.
    const { bundle, issued } = await certificate({ keyAlgorithm: 'rsa', withIntermediate: true });
    const targets = ['a.example.com', 'b.example.com', 'example.com'];
    const provider = driver.connect(scope(targets), CREDENTIALS);

    const outcomes = await provider.deploy({ binding: BINDING, targets, certificate: bundle, observed: [] });
    expect(outcomes.map((o) => o.target)).toEqual(targets);
    for (const o of outcomes) ok(o);
    for (const t of targets) expect(emulator.servedFingerprint(t)).toBe(issued.fingerprintSHA256);

    // Uploaded under the deterministic name, as CertType=upload with SSL on.
    const name = certName(BINDING, issued.fingerprintSHA256);
    expect(emulator.servedCertificate('a.example.com')?.name).toBe(name);
    expect(emulator.domainState('a.example.com')).toMatchObject({ sslOn: true, certType: 'upload' });

    const observations = await provider.observe({ binding: BINDING, targets });
    expect(observations.map((o) => o.target)).toEqual(targets);
    for (const o of observations) {
      const s = serving(o);
      expect(s.fingerprintSHA256).toBe(issued.fingerprintSHA256);
      expect(s.notAfter?.getTime()).toBe(issued.notAfter.getTime());
      expect(s.certificateId).toBe(String(emulator.servedCertificate(o.target)?.id));
    }

    expect(calls.filter((c) => c.action === SET).map((c) => c.code)).toEqual(['OK', 'OK', 'OK']);
    expect(calls.filter((c) => c.action === DESCRIBE).map((c) => c.code)).toEqual(['OK', 'OK', 'OK']);
    expect(calls.every((c) => c.provider === 'alibaba' && c.seconds >= 0)).toBe(true);
  });

  it('sends *.example.com as .example.com and reports it back in the spec spelling', async () => {
    const { emulator, driver } = await start({ domains: ['.example.com'] });
    const { bundle, issued } = await certificate();
    const provider = driver.connect(scope(['*.example.com']), CREDENTIALS);

    const [outcome] = await provider.deploy({ binding: BINDING, targets: ['*.example.com'], certificate: bundle, observed: [] });
    expect(ok(outcome).target).toBe('*.example.com');
    expect(emulator.servedFingerprint('.example.com')).toBe(issued.fingerprintSHA256);
    expect(callsTo(emulator, SET).map((c) => c.domain)).toEqual(['.example.com']);

    const [seen] = await provider.observe({ binding: BINDING, targets: ['*.example.com'] });
    expect(serving(seen).target).toBe('*.example.com');
    expect(callsTo(emulator, DESCRIBE).map((c) => c.domain)).toEqual(['.example.com']);
  });

  it('observes a domain that never had HTTPS as disabled, and an unknown one as an error', async () => {
    const { driver } = await start({ domains: ['plain.example.com'] });
    const provider = driver.connect(scope(['plain.example.com', 'missing.example.com']), CREDENTIALS);
    const [plain, missing] = await provider.observe({ binding: BINDING, targets: ['plain.example.com', 'missing.example.com'] });
    expect(plain).toEqual({ target: 'plain.example.com', state: 'disabled' });
    if (missing?.state !== 'error') throw new Error('expected an error observation');
    expect(missing.error).toMatchObject({ code: 'InvalidDomain.NotFound', retryable: false, httpStatus: 404 });
    expect(missing.error.requestId).toMatch(/^[0-9A-F-]{36}$/);
  });

  it('sees a certificate changed in the console as drift', async () => {
    const { emulator, driver } = await start({ domains: ['www.example.com'] });
    const ours = await certificate();
    const theirs = await certificate({ dnsNames: ['www.example.com'] });
    const provider = driver.connect(scope(['www.example.com']), CREDENTIALS);
    ok((await provider.deploy({ binding: BINDING, targets: ['www.example.com'], certificate: ours.bundle, observed: [] }))[0]);

    emulator.drift('www.example.com', theirs.issued.chainPem, theirs.issued.keyPem);
    const [seen] = await provider.observe({ binding: BINDING, targets: ['www.example.com'] });
    expect(serving(seen).fingerprintSHA256).toBe(theirs.issued.fingerprintSHA256);
  });

  it('uploads each renewal under a new name', async () => {
    const { emulator, driver } = await start({ domains: ['www.example.com'] });
    const provider = driver.connect(scope(['www.example.com'], 'shop'), CREDENTIALS);
    const first = await certificate();
    const renewed = await certificate();
    for (const c of [first, renewed]) {
      ok((await provider.deploy({ binding: BINDING, targets: ['www.example.com'], certificate: c.bundle, observed: [] }))[0]);
    }
    expect(emulator.servedFingerprint('www.example.com')).toBe(renewed.issued.fingerprintSHA256);
    expect(emulator.certificates(ACCESS_KEY_ID).map((c) => c.name)).toEqual([
      `shop-${first.issued.fingerprintSHA256.slice(0, 12)}`,
      `shop-${renewed.issued.fingerprintSHA256.slice(0, 12)}`,
    ]);
  });

  it('skips a target the latest observation shows already serving the certificate', async () => {
    const { emulator, driver } = await start({ domains: ['www.example.com'] });
    const { bundle, issued } = await certificate();
    const provider = driver.connect(scope(['www.example.com']), CREDENTIALS);
    const observed: Observation[] = [
      { target: 'www.example.com', state: 'serving', fingerprintSHA256: issued.fingerprintSHA256, certificateId: '42' },
    ];
    const [outcome] = await provider.deploy({ binding: BINDING, targets: ['www.example.com'], certificate: bundle, observed });
    expect(outcome).toEqual({ target: 'www.example.com', ok: true, certificateId: '42' });
    expect(emulator.calls).toHaveLength(0);
  });

  it('reports a rejected domain as that target\'s failed outcome, not a thrown error', async () => {
    const { emulator, driver } = await start({ domains: ['good.example.com'] });
    emulator.addDomain(ACCESS_KEY_ID, 'off.example.com', { offline: true });
    const { bundle } = await certificate();
    const targets = ['good.example.com', 'off.example.com'];
    const provider = driver.connect(scope(targets), CREDENTIALS);
    const [good, off] = await provider.deploy({ binding: BINDING, targets, certificate: bundle, observed: [] });
    ok(good);
    expect(failed(off)).toMatchObject({ code: 'InvalidDomain.Offline', retryable: false, httpStatus: 400 });
    // Terminal: one attempt only.
    expect(callsTo(emulator, SET, 'off.example.com')).toHaveLength(1);
  });
});

describe('disable', () => {
  it('turns HTTPS off with SSLProtocol=off and no certificate', async () => {
    const { emulator, driver } = await start({ domains: ['a.example.com', '.example.com'] });
    const { bundle } = await certificate();
    const targets = ['a.example.com', '*.example.com'];
    const provider = driver.connect(scope(targets), CREDENTIALS);
    for (const o of await provider.deploy({ binding: BINDING, targets, certificate: bundle, observed: [] })) ok(o);

    const outcomes = await provider.disable({ binding: BINDING, targets });
    expect(outcomes).toEqual([
      { target: 'a.example.com', ok: true },
      { target: '*.example.com', ok: true },
    ]);
    expect(emulator.domainState('a.example.com')?.sslOn).toBe(false);
    expect(emulator.servedFingerprint('.example.com')).toBeUndefined();
    expect(await provider.observe({ binding: BINDING, targets })).toEqual([
      { target: 'a.example.com', state: 'disabled' },
      { target: '*.example.com', state: 'disabled' },
    ]);
  });

  it('reports Certificate.NotPermittedOff as terminal', async () => {
    const { emulator, driver } = await start({ domains: ['a.example.com'] });
    emulator.failWith('Certificate.NotPermittedOff', { domain: 'a.example.com' });
    const provider = driver.connect(scope(['a.example.com']), CREDENTIALS);
    const [outcome] = await provider.disable({ binding: BINDING, targets: ['a.example.com'] });
    expect(failed(outcome)).toMatchObject({ code: 'Certificate.NotPermittedOff', retryable: false });
  });
});

describe('credentials', () => {
  it('rejects an unknown access key and a wrong secret as terminal, with the code', async () => {
    const { emulator, driver } = await start({ domains: ['a.example.com'] });
    const { bundle } = await certificate();
    const unknown = driver.connect(scope(['a.example.com']), { accessKeyId: 'LTAI5tNoSuchKey', accessKeySecret: 'whatever-secret' });
    const wrong = driver.connect(scope(['a.example.com']), { accessKeyId: ACCESS_KEY_ID, accessKeySecret: 'not-the-secret-at-all' });

    const [u] = await unknown.deploy({ binding: BINDING, targets: ['a.example.com'], certificate: bundle, observed: [] });
    expect(failed(u)).toMatchObject({ code: 'InvalidAccessKeyId.NotFound', retryable: false, httpStatus: 404 });
    const [w] = await wrong.deploy({ binding: BINDING, targets: ['a.example.com'], certificate: bundle, observed: [] });
    expect(failed(w)).toMatchObject({ code: 'SignatureDoesNotMatch', retryable: false, httpStatus: 400 });
    const [seen] = await wrong.observe({ binding: BINDING, targets: ['a.example.com'] });
    expect(seen?.state === 'error' && seen.error.code).toBe('SignatureDoesNotMatch');

    expect(emulator.servedFingerprint('a.example.com')).toBeUndefined();
    expect(emulator.calls.map((c) => c.code)).toEqual(['InvalidAccessKeyId.NotFound', 'SignatureDoesNotMatch', 'SignatureDoesNotMatch']);
  });

  it('signs with an STS security token', async () => {
    const { emulator, driver } = await start({ domains: ['a.example.com'] });
    emulator.addAccessKey(ACCESS_KEY_ID, 'STS.NTemporaryKeyId', 'sts-secret-5mK2pL7rT9', { securityToken: 'CAIS-token-value-1234' });
    const { bundle, issued } = await certificate();
    const sts = { accessKeyId: 'STS.NTemporaryKeyId', accessKeySecret: 'sts-secret-5mK2pL7rT9', securityToken: 'CAIS-token-value-1234' };
    const provider = driver.connect(scope(['a.example.com']), sts);
    ok((await provider.deploy({ binding: BINDING, targets: ['a.example.com'], certificate: bundle, observed: [] }))[0]);
    expect(emulator.servedFingerprint('a.example.com')).toBe(issued.fingerprintSHA256);

    const stale = driver.connect(scope(['a.example.com']), { ...sts, securityToken: 'CAIS-another-token' });
    const [seen] = await stale.observe({ binding: BINDING, targets: ['a.example.com'] });
    expect(seen?.state === 'error' && seen.error.code).toBe('InvalidSecurityToken.MismatchWithAccessKey');
  });

  it('declares its credential keys, and refuses to connect without credentials unless ambient ones are enabled', async () => {
    const { driver } = await start();
    expect(alibaba.credentials).toEqual({ required: ['accessKeyId', 'accessKeySecret'], optional: ['securityToken'], defaultSecret: 'credentialsSecret' });
    expect(driver.ambientCredentials).toBe(false);
    expect(() => driver.connect(scope(['a.example.com']), undefined)).toThrow(/ambient/);
    expect(() => driver.connect(scope(['a.example.com']), { accessKeyId: ACCESS_KEY_ID })).toThrow(/accessKeySecret/);
  });

  it('uses the default credential chain when ambient credentials are enabled', async () => {
    const saved = { ...process.env };
    process.env['ALIBABA_CLOUD_ACCESS_KEY_ID'] = ACCESS_KEY_ID;
    process.env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] = ACCESS_KEY_SECRET;
    try {
      const { emulator, driver } = await start({ domains: ['a.example.com'], ambient: true });
      expect(driver.ambientCredentials).toBe(true);
      const { bundle, issued } = await certificate();
      const provider = driver.connect(scope(['a.example.com']), undefined);
      ok((await provider.deploy({ binding: BINDING, targets: ['a.example.com'], certificate: bundle, observed: [] }))[0]);
      expect(emulator.servedFingerprint('a.example.com')).toBe(issued.fingerprintSHA256);
      expect(emulator.calls[0]?.accessKeyId).toBe(ACCESS_KEY_ID);
    } finally {
      process.env = saved;
    }
  });
});

describe('Certificate.Duplicated for our own name', () => {
  it('binds the stored copy by id when the service refuses the same name on another domain', async () => {
    const { emulator, driver, log } = await start({
      emulator: { duplicateNames: 'always' },
      domains: ['a.example.com', 'b.example.com', 'c.example.com'],
    });
    const { bundle, issued } = await certificate();
    const targets = ['a.example.com', 'b.example.com', 'c.example.com'];
    const provider = driver.connect(scope(targets), CREDENTIALS);

    const outcomes = await provider.deploy({ binding: BINDING, targets, certificate: bundle, observed: [] });
    for (const o of outcomes) ok(o);
    for (const t of targets) expect(emulator.servedFingerprint(t)).toBe(issued.fingerprintSHA256);

    // One upload; the other two domains were bound to it with CertType=cas.
    const stored = emulator.certificates(ACCESS_KEY_ID);
    expect(stored.map((c) => c.name)).toEqual([certName(BINDING, issued.fingerprintSHA256)]);
    const byId = outcomes.filter((o) => o.ok && o.certificateId === String(stored[0]?.id));
    expect(byId).toHaveLength(2);
    expect(targets.map((t) => emulator.domainState(t)?.certType).sort()).toEqual(['cas', 'cas', 'upload']);
    expect(callsTo(emulator, SET).filter((c) => c.code === 'Certificate.Duplicated')).toHaveLength(2);
    expect(callsTo(emulator, LIST)).toHaveLength(2);
    expect(log.text()).toContain('binding it by id');
  });

  it('is success when the domain already serves our certificate (the earlier attempt did arrive)', async () => {
    const { emulator, driver } = await start({ emulator: { duplicateNames: 'always' }, domains: ['a.example.com'] });
    const { bundle, issued } = await certificate();
    const provider = driver.connect(scope(['a.example.com']), CREDENTIALS);
    ok((await provider.deploy({ binding: BINDING, targets: ['a.example.com'], certificate: bundle, observed: [] }))[0]);

    // As after a crash before the status was written: the controller saw nothing and pushes again.
    const [again] = await provider.deploy({ binding: BINDING, targets: ['a.example.com'], certificate: bundle, observed: [] });
    expect(ok(again).certificateId).toBe(String(emulator.servedCertificate('a.example.com')?.id));
    expect(emulator.calls.map((c) => `${c.action}:${c.code}`)).toEqual([
      `${SET}:OK`,
      `${SET}:Certificate.Duplicated`,
      `${DESCRIBE}:OK`,
    ]);
    expect(emulator.certificates(ACCESS_KEY_ID)).toHaveLength(1);
    expect(emulator.servedFingerprint('a.example.com')).toBe(issued.fingerprintSHA256);
  });

  it('stays retryable while the name is taken but nothing of that name is listed yet', async () => {
    const { emulator, driver } = await start({ domains: ['a.example.com'] });
    emulator.failWith('Certificate.Duplicated', { action: SET });
    const { bundle } = await certificate();
    const provider = driver.connect(scope(['a.example.com']), CREDENTIALS);
    const [outcome] = await provider.deploy({ binding: BINDING, targets: ['a.example.com'], certificate: bundle, observed: [] });
    const error = failed(outcome);
    expect(error).toMatchObject({ code: 'Certificate.Duplicated', retryable: true });
    expect(error.requestId).toBe(callsTo(emulator, SET)[0]?.requestId);
  });

  it('is terminal when a different certificate holds the name', async () => {
    const { emulator, driver } = await start({ domains: ['a.example.com', 'b.example.com'] });
    const theirs = await certificate();
    const ours = await certificate();
    // Someone uploaded other content under exactly the name our certificate gets.
    const squatter = driver.connect(scope(['b.example.com'], 'ccs-web-shop'), CREDENTIALS);
    const fakeLeaf = { ...theirs.bundle.leaf, fingerprintSHA256: ours.issued.fingerprintSHA256 };
    ok((await squatter.deploy({ binding: BINDING, targets: ['b.example.com'], certificate: { ...theirs.bundle, leaf: fakeLeaf }, observed: [] }))[0]);

    const provider = driver.connect(scope(['a.example.com']), CREDENTIALS);
    const [outcome] = await provider.deploy({ binding: BINDING, targets: ['a.example.com'], certificate: ours.bundle, observed: [] });
    const error = failed(outcome);
    expect(error).toMatchObject({ code: 'Certificate.Duplicated', retryable: false });
    expect(error.message).toContain(certName(BINDING, ours.issued.fingerprintSHA256));
    expect(emulator.servedFingerprint('a.example.com')).toBeUndefined();
  });
});

describe('one client per account', () => {
  it('accepts the same credentials from many bindings and keeps their calls apart by domain', async () => {
    const { emulator, driver } = await start({ domains: ['a.example.com', 'b.example.com'] });
    const { bundle, issued } = await certificate();
    const p1 = driver.connect(scope(['a.example.com']), { ...CREDENTIALS });
    const p2 = driver.connect(scope(['b.example.com']), { ...CREDENTIALS });
    const [o1, o2] = await Promise.all([
      p1.deploy({ binding: BINDING, targets: ['a.example.com'], certificate: bundle, observed: [] }),
      p2.deploy({ binding: { ...BINDING, name: 'other' }, targets: ['b.example.com'], certificate: bundle, observed: [] }),
    ]);
    ok(o1[0]);
    ok(o2[0]);
    expect(emulator.servedFingerprint('a.example.com')).toBe(issued.fingerprintSHA256);
    expect(emulator.servedCertificate('b.example.com')?.name).toBe(certName({ namespace: 'web', name: 'other' }, issued.fingerprintSHA256));
    expect(new Set(emulator.calls.map((c) => c.accessKeyId))).toEqual(new Set([ACCESS_KEY_ID]));
    expect(ACCESS_KEY_SECRET.length).toBeGreaterThan(0);
  });
});
