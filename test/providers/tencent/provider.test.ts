// The Tencent provider through the real SDKs against the emulator: renewal,
// skipping work already done, observation, disable.
import { CommonClient } from 'tencentcloud-sdk-nodejs-common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Observation, Outcome } from '../../../src/providers/provider.ts';
import { aliasFor } from '../../../src/providers/tencent/driver.ts';
import { tencent } from '../../../src/providers/tencent/index.ts';
import { mismatchedKeyFor } from '../../fixtures/certs.ts';
import { BINDING, bundle, HOSTS, observationOf, startHarness, ZONE, type Harness } from '../../emulators/tencent/testing.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.stop();
});

const actions = () => h.emulator.calls.map((c) => c.action);
const okIds = (outcomes: Outcome[]) => outcomes.map((o) => (o.ok ? o.certificateId : `failed: ${o.error.describe()}`));

describe('deploy', () => {
  it('uploads once, binds every host with one ModifyHostsCertificate, and observes the new fingerprint', async () => {
    const provider = h.provider();
    const cert = await bundle();
    const before = await provider.observe({ binding: BINDING, targets: HOSTS });
    expect(before.map((o) => o.state)).toEqual(['disabled', 'disabled', 'disabled']);

    const outcomes = await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed: before });

    const uploads = h.emulator.uploads();
    expect(uploads).toHaveLength(1);
    const id = uploads[0]?.id;
    expect(uploads[0]).toMatchObject({ alias: aliasFor(BINDING, cert.leaf.fingerprintSHA256), fingerprintSHA256: cert.leaf.fingerprintSHA256 });
    expect(okIds(outcomes)).toEqual([id, id, id]);
    const modifies = h.emulator.calls.filter((c) => c.action === 'ModifyHostsCertificate');
    expect(modifies).toHaveLength(1);
    expect(modifies[0]).toMatchObject({ zone: ZONE, code: 'OK', hosts: [...HOSTS] });
    for (const host of HOSTS) expect(h.emulator.hostCertificate(ZONE, host)).toEqual({ mode: 'sslcert', certIds: [id] });

    const after = await provider.observe({ binding: BINDING, targets: HOSTS });
    for (const host of HOSTS) {
      expect(observationOf(after, host)).toEqual({
        target: host,
        state: 'serving',
        fingerprintSHA256: cert.leaf.fingerprintSHA256,
        certificateId: id,
        notAfter: cert.leaf.notAfter,
      });
    }
  });

  it('reuses the id SSL Certificates returns in RepeatCertId for identical content: no second certificate', async () => {
    const provider = h.provider();
    const cert = await bundle();
    const first = await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed: [] });
    // Nothing observed (as after a lost status write): the provider uploads again, and is told the existing id.
    const second = await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed: [] });

    expect(h.emulator.uploads()).toHaveLength(1);
    expect(h.emulator.calls.filter((c) => c.action === 'UploadCertificate').map((c) => c.code)).toEqual(['OK', 'OK']);
    expect(okIds(second)).toEqual(okIds(first));
    expect(h.emulator.certificates(h.credentials.secretId)).toHaveLength(1);
  });

  it('reuses the id when the duplicate comes back in CertificateId instead', async () => {
    h.emulator.configure({ repeatIdIn: 'CertificateId' });
    const provider = h.provider();
    const cert = await bundle();
    const first = await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed: [] });
    const second = await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed: [] });
    expect(h.emulator.uploads()).toHaveLength(1);
    expect(okIds(second)).toEqual(okIds(first));
  });

  it('makes no call at all when every host already serves the certificate', async () => {
    const provider = h.provider();
    const cert = await bundle();
    await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed: [] });
    const observed = await provider.observe({ binding: BINDING, targets: HOSTS });
    const callsBefore = h.emulator.calls.length;

    const outcomes = await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed });

    expect(h.emulator.calls.length).toBe(callsBefore);
    const id = h.emulator.uploads()[0]?.id;
    expect(okIds(outcomes)).toEqual([id, id, id]);
  });

  it('skips the upload when a host already serves the certificate, and binds only the hosts that do not', async () => {
    const provider = h.provider();
    const cert = await bundle();
    await provider.deploy({ binding: BINDING, targets: ['example.com'], certificate: cert, observed: [] });
    const id = h.emulator.uploads()[0]?.id as string;
    const observed = await provider.observe({ binding: BINDING, targets: HOSTS });
    expect(observationOf(observed, 'www.example.com').state).toBe('disabled');
    const callsBefore = h.emulator.calls.length;

    const outcomes = await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed });

    const made = h.emulator.calls.slice(callsBefore);
    expect(made.map((c) => c.action)).toEqual(['ModifyHostsCertificate']);
    expect(made[0]?.hosts).toEqual(['www.example.com', 'api.example.com']);
    expect(h.emulator.uploads()).toHaveLength(1);
    expect(okIds(outcomes)).toEqual([id, id, id]);
    for (const host of HOSTS) expect(h.emulator.hostCertificate(ZONE, host).certIds).toEqual([id]);
  });

  it('sends only the hosts not yet bound after a partial sync, uploading the renewal once', async () => {
    const provider = h.provider();
    const old = await bundle();
    await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: old, observed: [] });
    const renewal = await bundle();
    // The renewal reached one host (say a previous deploy was interrupted after a drift fixed it by hand).
    await provider.deploy({ binding: BINDING, targets: ['api.example.com'], certificate: renewal, observed: [] });
    const renewalId = h.emulator.uploads()[1]?.id;
    const observed = await provider.observe({ binding: BINDING, targets: HOSTS });
    expect(observationOf(observed, 'api.example.com')).toMatchObject({ certificateId: renewalId });
    const callsBefore = h.emulator.calls.length;

    const outcomes = await provider.deploy({
      binding: BINDING,
      targets: ['example.com', 'www.example.com'],
      certificate: renewal,
      observed,
    });

    expect(h.emulator.calls.slice(callsBefore).map((c) => [c.action, c.hosts])).toEqual([
      ['ModifyHostsCertificate', ['example.com', 'www.example.com']],
    ]);
    expect(okIds(outcomes)).toEqual([renewalId, renewalId]);
  });

  it('reports a rejected binding as a terminal failure with the vendor code, message and RequestId', async () => {
    const provider = h.provider();
    const cert = await bundle(['other.example.org']);
    const outcomes = await provider.deploy({ binding: BINDING, targets: ['example.com'], certificate: cert, observed: [] });
    const outcome = outcomes[0];
    if (!outcome || outcome.ok) throw new Error('expected a failure');
    expect(outcome.error.code).toBe('InvalidParameter.CertNotMatchDomain');
    expect(outcome.error.retryable).toBe(false);
    expect(outcome.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(outcome.error.describe()).toContain('Mismatch between the HTTPS certificate and the domain name');
    // Terminal: no in-call retries.
    expect(actions().filter((a) => a === 'ModifyHostsCertificate')).toHaveLength(1);
  });

  it('fails every target of an upload the service rejects', async () => {
    const provider = h.provider();
    const cert = await bundle();
    const outcomes = await provider.deploy({
      binding: BINDING,
      targets: HOSTS,
      certificate: { ...cert, keyPem: await mismatchedKeyFor(cert.issued) },
      observed: [],
    });
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.code))).toEqual(Array(3).fill('FailedOperation.CertificateMismatch'));
    expect(actions()).not.toContain('ModifyHostsCertificate');
  });
});

describe('observe', () => {
  it('reports a missing host as an error, a disabled one as disabled and a drifted one by its real fingerprint', async () => {
    const provider = h.provider();
    const ours = await bundle();
    await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: ours, observed: [] });
    const foreign = await bundle();
    const foreignId = h.emulator.addCertificate(h.credentials.secretId, { chainPem: foreign.chainPem, keyPem: foreign.keyPem, alias: 'by hand' });
    h.emulator.drift(ZONE, 'www.example.com', foreignId);
    h.emulator.drift(ZONE, 'api.example.com', null);

    const observed = await provider.observe({ binding: BINDING, targets: [...HOSTS, 'missing.example.com'] });

    expect(observationOf(observed, 'example.com')).toMatchObject({ state: 'serving', fingerprintSHA256: ours.leaf.fingerprintSHA256 });
    expect(observationOf(observed, 'www.example.com')).toMatchObject({
      state: 'serving',
      fingerprintSHA256: foreign.leaf.fingerprintSHA256,
      certificateId: foreignId,
    });
    expect(observationOf(observed, 'api.example.com')).toEqual({ target: 'api.example.com', state: 'disabled' });
    const missing = observationOf(observed, 'missing.example.com') as Extract<Observation, { state: 'error' }>;
    expect(missing.state).toBe('error');
    expect(missing.error.code).toBe('ResourceUnavailable.HostNotFound');
    expect(missing.error.retryable).toBe(false);
  });

  it('pages through more hosts than one filter holds, and asks SSL Certificates once per certificate id', async () => {
    // (Ids of its own uploads it knows without asking: see 'verifies a bind without DescribeCertificateDetail'.)
    const many = Array.from({ length: 45 }, (_, i) => `h${i}.example.com`);
    await h.stop();
    h = await startHarness({ hosts: many });
    const provider = h.provider();
    const cert = await bundle(many);
    // Uploaded by someone else (the console): its id is new to the provider.
    const id = h.emulator.addCertificate(h.credentials.secretId, { chainPem: cert.chainPem, keyPem: cert.keyPem });
    for (const host of many) h.emulator.drift(ZONE, host, id);
    const callsBefore = h.emulator.calls.length;

    const observed = await provider.observe({ binding: BINDING, targets: many });
    const again = await provider.observe({ binding: BINDING, targets: many });

    expect(observed.every((o) => o.state === 'serving' && o.fingerprintSHA256 === cert.leaf.fingerprintSHA256)).toBe(true);
    expect(again).toEqual(observed);
    const made = h.emulator.calls.slice(callsBefore);
    // 45 hosts in filters of at most 20 values: 3 DescribeAccelerationDomains per observe.
    expect(made.filter((c) => c.action === 'DescribeAccelerationDomains')).toHaveLength(6);
    expect(made.filter((c) => c.action === 'DescribeAccelerationDomains').every((c) => c.hosts.length <= 20)).toBe(true);
    // The id -> fingerprint answer is cached: one detail lookup in all.
    expect(made.filter((c) => c.action === 'DescribeCertificateDetail')).toHaveLength(1);
  });

  it('reports an EdgeOne free certificate as serving something other than the Secret', async () => {
    const provider = h.provider();
    // Switch to the free certificate through the API, as the console would.
    const client = new CommonClient(h.emulator.url.replace('http://', ''), '2022-09-01', {
      credential: h.credentials,
      profile: { httpProfile: { protocol: 'http://' } },
    });
    await client.request('ModifyHostsCertificate', { ZoneId: ZONE, Hosts: ['example.com'], Mode: 'eofreecert' });

    const observed = await provider.observe({ binding: BINDING, targets: ['example.com'] });
    expect(observed[0]).toMatchObject({ state: 'serving', fingerprintSHA256: '', certificateId: 'teo-free-example.com' });
  });
});

describe('disable', () => {
  it('turns HTTPS off on the hosts with Mode=disable', async () => {
    const provider = h.provider();
    await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: await bundle(), observed: [] });

    const outcomes = await provider.disable({ binding: BINDING, targets: ['example.com', 'www.example.com'] });

    expect(outcomes).toEqual([
      { target: 'example.com', ok: true },
      { target: 'www.example.com', ok: true },
    ]);
    expect(h.emulator.hostCertificate(ZONE, 'example.com')).toEqual({ mode: 'disable', certIds: [] });
    expect(h.emulator.hostCertificate(ZONE, 'api.example.com').mode).toBe('sslcert');
    const observed = await provider.observe({ binding: BINDING, targets: HOSTS });
    expect(observed.map((o) => o.state)).toEqual(['disabled', 'disabled', 'serving']);
  });

  it('fails every target when the service refuses', async () => {
    h.emulator.failWith('OperationDenied.ErrZoneIsAlreadyPaused', { action: 'ModifyHostsCertificate' });
    const outcomes = await h.provider().disable({ binding: BINDING, targets: ['example.com'] });
    expect(outcomes[0]).toMatchObject({ ok: false, error: { code: 'OperationDenied.ErrZoneIsAlreadyPaused', retryable: false } });
  });
});

describe('driver', () => {
  it('declares its credential keys and shares one account between bindings with the same credentials', async () => {
    expect(tencent.credentials).toEqual({ required: ['secretId', 'secretKey'], optional: ['token'], defaultSecret: 'credentialsSecret' });
    expect(h.driver.ambientCredentials).toBe(false);
    expect(() => h.driver.connect({ provider: 'tencent', spec: { zoneId: ZONE, hosts: ['example.com'] } }, { secretId: 'x' })).toThrow(
      /secretId and secretKey/,
    );
    // Two bindings, one account: the second observe finds the certificate detail cached by the first.
    const cert = await bundle();
    const id = h.emulator.addCertificate(h.credentials.secretId, { chainPem: cert.chainPem, keyPem: cert.keyPem });
    for (const host of HOSTS) h.emulator.drift(ZONE, host, id);
    await h.provider(['example.com']).observe({ binding: BINDING, targets: ['example.com'] });
    await h.provider(['www.example.com']).observe({ binding: { ...BINDING, name: 'other' }, targets: ['www.example.com'] });
    expect(actions().filter((a) => a === 'DescribeCertificateDetail')).toHaveLength(1);
  });

  it('verifies a bind without DescribeCertificateDetail for its own upload', async () => {
    const cert = await bundle();
    const provider = h.provider();
    await provider.deploy({ binding: BINDING, targets: HOSTS, certificate: cert, observed: [] });
    const before = h.emulator.calls.length;
    const observed = await provider.observe({ binding: BINDING, targets: HOSTS });
    expect(observed.every((o) => o.state === 'serving' && o.fingerprintSHA256 === cert.leaf.fingerprintSHA256)).toBe(true);
    expect(h.emulator.calls.slice(before).filter((c) => c.action === 'DescribeCertificateDetail')).toEqual([]);
  });

  it('records every API call with its action, code and duration', async () => {
    h.emulator.failWith('InternalError.SystemError', { action: 'UploadCertificate' });
    await h.provider().deploy({ binding: BINDING, targets: HOSTS, certificate: await bundle(), observed: [] });
    expect(h.calls.map((c) => [c.provider, c.action, c.code])).toEqual([
      ['tencent', 'UploadCertificate', 'InternalError.SystemError'],
      ['tencent', 'UploadCertificate', 'OK'],
      ['tencent', 'ModifyHostsCertificate', 'OK'],
    ]);
    expect(h.calls.every((c) => c.seconds >= 0 && c.seconds < 5)).toBe(true);
  });

  it('signs with a session token when the credentials carry one', async () => {
    const token = 'sts-token-0123456789abcdef';
    h.emulator.addAccount('AKIDsts', 'sts-secret-key-0123456789', token);
    h.emulator.addZone('AKIDsts', 'zone-sts', ['example.com']);
    const scope = { provider: 'tencent', spec: { zoneId: 'zone-sts', hosts: ['example.com'] } };
    const good = h.driver.connect(scope, { secretId: 'AKIDsts', secretKey: 'sts-secret-key-0123456789', token });
    expect((await good.observe({ binding: BINDING, targets: ['example.com'] }))[0]?.state).toBe('disabled');
    const bad = h.driver.connect(scope, { secretId: 'AKIDsts', secretKey: 'sts-secret-key-0123456789', token: 'expired-token-000000' });
    const observed = await bad.observe({ binding: BINDING, targets: ['example.com'] });
    expect(observed[0]).toMatchObject({ state: 'error', error: { code: 'AuthFailure.TokenFailure', retryable: false } });
  });
});
