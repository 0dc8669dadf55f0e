// The emulator itself, through the real SDK and raw signed requests: the
// fidelity the provider tests rely on.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { request as httpRequest } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CommonClient } from 'tencentcloud-sdk-nodejs-common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TencentEmulator } from '../../emulators/tencent/emulator.ts';
import { DEFAULT_OPTIONS } from '../../emulators/tencent/options.ts';
import { mismatchedKeyFor } from '../../fixtures/certs.ts';
import { bundle, waitFor } from '../../emulators/tencent/testing.ts';

// The SDK's own TC3 signer (CommonJS, not re-exported by the entry point).
type SignClass = (typeof import('tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js'))['default'];
const Sign = (createRequire(import.meta.url)('tencentcloud-sdk-nodejs-common/tencentcloud/common/sign.js') as { default: SignClass }).default;

const SECRET_ID = 'AKIDemulatortest';
const SECRET_KEY = 'emulator-secret-key-0001';
const ZONE = 'zone-emu';
let emulator: TencentEmulator;

beforeEach(async () => {
  emulator = await TencentEmulator.start();
  emulator.addAccount(SECRET_ID, SECRET_KEY);
  emulator.addZone(SECRET_ID, ZONE, ['example.com', 'www.example.com']);
});
afterEach(async () => {
  await emulator.stop();
});

function client(version: '2022-09-01' | '2019-12-05', credential = { secretId: SECRET_ID, secretKey: SECRET_KEY }): CommonClient {
  return new CommonClient(emulator.url.replace('http://', ''), version, { credential, profile: { httpProfile: { protocol: 'http://', reqTimeout: 5 } } });
}
const teo = (credential?: { secretId: string; secretKey: string }) => client('2022-09-01', credential);
const ssl = (credential?: { secretId: string; secretKey: string }) => client('2019-12-05', credential);

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'OK';
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${(err as Error).message}`;
  }
}

/**
 * A request signed by the SDK's own signer for `host` (default: the
 * emulator's address) and sent to the emulator with `body`, which may
 * differ from what was signed.
 */
async function rawRequest(opts: { action: string; version: string; signed: object; body?: string; timestamp?: number; host?: string; service?: string }) {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const host = opts.host ?? new URL(emulator.url).host;
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const authorization = Sign.sign3({
    method: 'POST',
    url: `http://${host}/`,
    payload: opts.signed,
    timestamp,
    service: opts.service ?? 'teo',
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    multipart: false,
    boundary: '', // only read for multipart
    headers,
  });
  const body = opts.body ?? JSON.stringify(opts.signed);
  const { port } = new URL(emulator.url);
  const text = await new Promise<string>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        headers: {
          ...headers,
          Host: host,
          Authorization: authorization,
          'X-TC-Action': opts.action,
          'X-TC-Version': opts.version,
          'X-TC-Timestamp': String(timestamp),
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.on('end', () => resolve(data));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  return JSON.parse(text) as { Response: { Error?: { Code: string }; RequestId: string } };
}

describe('signature', () => {
  it('accepts a correctly signed request and rejects a wrong key, an unknown SecretId, a changed body and an old timestamp', async () => {
    const params = { ZoneId: ZONE };
    expect(await codeOf(teo().request('DescribeAccelerationDomains', params))).toBe('OK');
    expect(await codeOf(teo({ secretId: SECRET_ID, secretKey: 'wrong-key-123456' }).request('DescribeAccelerationDomains', params))).toBe(
      'AuthFailure.SignatureFailure',
    );
    expect(await codeOf(teo({ secretId: 'AKIDnobody', secretKey: SECRET_KEY }).request('DescribeAccelerationDomains', params))).toBe(
      'AuthFailure.SecretIdNotFound',
    );

    const ok = await rawRequest({ action: 'DescribeAccelerationDomains', version: '2022-09-01', signed: params });
    expect(ok.Response.Error).toBeUndefined();
    const tampered = await rawRequest({ action: 'DescribeAccelerationDomains', version: '2022-09-01', signed: params, body: JSON.stringify({ ZoneId: 'zone-other' }) });
    expect(tampered.Response.Error?.Code).toBe('AuthFailure.SignatureFailure');
    const old = await rawRequest({ action: 'DescribeAccelerationDomains', version: '2022-09-01', signed: params, timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(old.Response.Error?.Code).toBe('AuthFailure.SignatureExpire');
  });

  it('dispatches on the Host header first, then the credential scope, then the version', async () => {
    const certificates = { action: 'DescribeCertificates', version: '2019-12-05', signed: {} };
    // The host names the service even when the credential scope says otherwise.
    expect((await rawRequest({ ...certificates, host: 'ssl.tencentcloudapi.com', service: 'teo' })).Response.Error).toBeUndefined();
    expect((await rawRequest({ ...certificates, host: 'teo.tencentcloudapi.com', service: 'ssl' })).Response.Error?.Code).toBe('NoSuchVersion');
    // An IP address names nothing: the scope does (`127` names nothing either, as the SDK signs for 127.0.0.1), then the version.
    expect((await rawRequest({ ...certificates, service: 'ssl' })).Response.Error).toBeUndefined();
    expect((await rawRequest({ ...certificates, service: 'teo' })).Response.Error?.Code).toBe('NoSuchVersion');
    expect((await rawRequest({ ...certificates, service: '127' })).Response.Error).toBeUndefined();
    expect(await codeOf(ssl().request('DescribeAccelerationDomains', { ZoneId: ZONE }))).toBe('InvalidAction');
  });
});

describe('SSL Certificates', () => {
  it('stores identical content once with Repeatable=false, returning the id in RepeatCertId (or CertificateId)', async () => {
    const cert = await bundle(['example.com']);
    const upload = (repeatable: boolean) =>
      ssl().request('UploadCertificate', { CertificatePublicKey: cert.chainPem, CertificatePrivateKey: cert.keyPem, Repeatable: repeatable, Alias: 'a' }) as Promise<{
        CertificateId?: string;
        RepeatCertId?: string | null;
      }>;
    const first = await upload(false);
    expect(first.CertificateId).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(await upload(false)).toMatchObject({ CertificateId: '', RepeatCertId: first.CertificateId });
    emulator.configure({ repeatIdIn: 'CertificateId' });
    expect(await upload(false)).toMatchObject({ CertificateId: first.CertificateId });
    // Repeatable defaults to true: a copy.
    const copy = await upload(true);
    expect(copy.CertificateId).not.toBe(first.CertificateId);
    expect(emulator.uploads().map((u) => u.id)).toEqual([first.CertificateId, copy.CertificateId]);
  });

  it('checks what it stores: a key of another certificate, or no certificate at all', async () => {
    const cert = await bundle(['example.com']);
    const wrongKey = await mismatchedKeyFor(cert.issued);
    expect(await codeOf(ssl().request('UploadCertificate', { CertificatePublicKey: cert.chainPem, CertificatePrivateKey: wrongKey }))).toBe(
      'FailedOperation.CertificateMismatch',
    );
    expect(await codeOf(ssl().request('UploadCertificate', { CertificatePublicKey: 'not a certificate', CertificatePrivateKey: cert.keyPem }))).toBe(
      'FailedOperation.CertificateParseError',
    );
    expect(emulator.uploads()).toEqual([]);
  });

  it('finds certificates by SearchKey and pages through them', async () => {
    const certs = await Promise.all([1, 2, 3, 4, 5].map(() => bundle(['example.com'])));
    for (const [i, cert] of certs.entries()) emulator.addCertificate(SECRET_ID, { ...cert, alias: i < 3 ? `ccs-web-shop-${i}` : `other-${i}` });
    const page = (offset: number) =>
      ssl().request('DescribeCertificates', { SearchKey: 'ccs-web-shop', Offset: offset, Limit: 2 }) as Promise<{
        TotalCount: number;
        Certificates: Array<{ Alias: string }>;
      }>;
    const first = await page(0);
    const second = await page(2);
    expect(first.TotalCount).toBe(3);
    expect([...first.Certificates, ...second.Certificates].map((c) => c.Alias).sort()).toEqual(['ccs-web-shop-0', 'ccs-web-shop-1', 'ccs-web-shop-2']);
  });
});

describe('EdgeOne', () => {
  it('limits Filters.Values to 20 and Limit to 200, as documented', async () => {
    const values = Array.from({ length: 21 }, (_, i) => `h${i}.example.com`);
    expect(await codeOf(teo().request('DescribeAccelerationDomains', { ZoneId: ZONE, Filters: [{ Name: 'domain-name', Values: values }] }))).toBe(
      'InvalidParameter',
    );
    expect(await codeOf(teo().request('DescribeAccelerationDomains', { ZoneId: ZONE, Limit: 201 }))).toBe('InvalidParameter');
    expect(await codeOf(teo().request('DescribeAccelerationDomains', { ZoneId: 'zone-nope' }))).toBe('InvalidParameterValue.ZoneNotFound');
  });

  it('refuses calls past 20/s per account for ModifyHostsCertificate, and counts each refusal', async () => {
    emulator.configure({ rateLimits: DEFAULT_OPTIONS.rateLimits });
    const calls = Array.from({ length: 26 }, () => codeOf(teo().request('ModifyHostsCertificate', { ZoneId: ZONE, Hosts: ['example.com'], Mode: 'disable' })));
    const codes = await Promise.all(calls);
    expect(codes.filter((c) => c === 'OK')).toHaveLength(20);
    expect(codes.filter((c) => c === 'LimitExceeded.RateLimitExceeded')).toHaveLength(6);
    expect(emulator.rateLimited('ModifyHostsCertificate')).toBe(6);
  });

  it('refuses a second change to a host within the ActionInProgress window', async () => {
    emulator.configure({ actionInProgressMs: 60_000 });
    const modify = () => teo().request('ModifyHostsCertificate', { ZoneId: ZONE, Hosts: ['example.com'], Mode: 'disable' });
    expect(await codeOf(modify())).toBe('OK');
    expect(await codeOf(modify())).toBe('InvalidParameter.ActionInProgress');
    expect(await codeOf(teo().request('ModifyHostsCertificate', { ZoneId: ZONE, Hosts: ['www.example.com'], Mode: 'disable' }))).toBe('OK');
  });
});

describe('faults', () => {
  it('fails only the calls naming a host, as many times as asked, and delays answers', async () => {
    emulator.failWith('ResourceInUse', { host: 'www.example.com', times: 2 });
    const modify = (host: string) => codeOf(teo().request('ModifyHostsCertificate', { ZoneId: ZONE, Hosts: [host], Mode: 'disable' }));
    expect(await modify('example.com')).toBe('OK');
    expect(await modify('www.example.com')).toBe('ResourceInUse');
    expect(await modify('www.example.com')).toBe('ResourceInUse');
    expect(await modify('www.example.com')).toBe('OK');
    expect(emulator.calls.map((c) => [c.action, c.hosts, c.secretId, c.code])).toEqual([
      ['ModifyHostsCertificate', ['example.com'], SECRET_ID, 'OK'],
      ['ModifyHostsCertificate', ['www.example.com'], SECRET_ID, 'ResourceInUse'],
      ['ModifyHostsCertificate', ['www.example.com'], SECRET_ID, 'ResourceInUse'],
      ['ModifyHostsCertificate', ['www.example.com'], SECRET_ID, 'OK'],
    ]);

    emulator.latency(80, 'DescribeAccelerationDomains');
    const started = performance.now();
    expect(await codeOf(teo().request('DescribeAccelerationDomains', { ZoneId: ZONE }))).toBe('OK');
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('answers a drifted host with the certificate bound outside the operator', async () => {
    const cert = await bundle(['example.com']);
    const id = emulator.addCertificate(SECRET_ID, { chainPem: cert.chainPem, keyPem: cert.keyPem, alias: 'console' });
    emulator.drift(ZONE, 'example.com', id);
    const answer = (await teo().request('DescribeAccelerationDomains', {
      ZoneId: ZONE,
      Filters: [{ Name: 'domain-name', Values: ['example.com'] }],
    })) as { TotalCount: number; AccelerationDomains: Array<{ DomainName: string; Certificate: { Mode: string; List: Array<{ CertId: string; ExpireTime: string }> } }> };
    expect(answer.TotalCount).toBe(1);
    expect(answer.AccelerationDomains[0]?.Certificate.Mode).toBe('sslcert');
    expect(answer.AccelerationDomains[0]?.Certificate.List.map((c) => c.CertId)).toEqual([id]);
    expect(new Date(answer.AccelerationDomains[0]?.Certificate.List[0]?.ExpireTime ?? 0).getTime()).toBe(cert.leaf.notAfter.getTime());
  });
});

describe('main.ts', () => {
  it('starts standalone, prints its URL as JSON, serves, and stops on SIGTERM', async () => {
    // Node 22 runs .ts directly; the test runner itself may be on another Node.
    const node = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
    const main = fileURLToPath(new URL('../../emulators/tencent/main.ts', import.meta.url));
    const child = spawn(
      node,
      [main, '--account', `${SECRET_ID}:${SECRET_KEY}`, '--zone', `${SECRET_ID}:zone-cli:example.com,www.example.com`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', () => reject(new Error('main.ts exited before printing its URL')));
      });
      const { url } = JSON.parse(line) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const cli = new CommonClient(url.replace('http://', ''), '2022-09-01', {
        credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
        profile: { httpProfile: { protocol: 'http://' } },
      });
      const answer = (await cli.request('DescribeAccelerationDomains', { ZoneId: 'zone-cli' })) as { TotalCount: number };
      expect(answer.TotalCount).toBe(2);
    } finally {
      child.kill('SIGTERM');
    }
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    await waitFor(() => code !== undefined, 10_000, 'main.ts to exit');
    expect(code).toBe(0);
  });
});
