// The emulator itself: that it verifies V3 signatures as strictly as the real
// gateway (the SDK's own requests pass; tampered, replayed or incomplete ones
// do not), answers errors in Alibaba's JSON shape, validates certificates, and
// runs standalone for the demo.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import querystring from 'node:querystring';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alibabaDriver } from '../../../src/providers/alibaba/driver.ts';
import { ignoreCalls } from '../../../src/providers/calls.ts';
import { AlibabaCdnEmulator } from '../../emulators/alibaba/emulator.ts';
import { canonicalRequest, sign } from '../../emulators/alibaba/signature.ts';
import type { CertificateBundle } from '../../../src/certs/types.ts';
import { mismatchedKeyFor } from '../../fixtures/certs.ts';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, BINDING, certificate, CREDENTIALS, FAST_RETRY, memoryLogger, rig, scope, type Rig } from './harness.ts';

interface RawAnswer {
  status: number;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

interface RawRequest {
  params: Record<string, string>;
  action?: string;
  keyId?: string;
  secret?: string;
  nonce?: string;
  /** Signed headers to leave out of SignedHeaders. */
  unsigned?: string[];
  /** Applied to the query string after signing. */
  tamper?: (query: string) => string;
}

/** A V3-signed RPC call made by hand, so that each part of it can be got wrong on purpose. */
function rawCall(baseUrl: string, req: RawRequest): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  const query = querystring.stringify(req.params);
  const headers: Record<string, string> = {
    host: url.host,
    'x-acs-action': req.action ?? 'DescribeDomainCertificateInfo',
    'x-acs-version': '2018-05-10',
    'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': req.nonce ?? randomUUID(),
    'x-acs-content-sha256': createHash('sha256').update('').digest('hex'),
  };
  const signed = Object.keys(headers).filter((h) => !(req.unsigned ?? []).includes(h)).sort();
  const canonical = canonicalRequest({ method: 'POST', url: `/?${query}`, headers, body: Buffer.alloc(0) }, signed, headers['x-acs-content-sha256'] ?? '');
  headers['authorization'] =
    `ACS3-HMAC-SHA256 Credential=${req.keyId ?? ACCESS_KEY_ID},SignedHeaders=${signed.join(';')},Signature=${sign(req.secret ?? ACCESS_KEY_SECRET, canonical)}`;
  const finalQuery = req.tamper ? req.tamper(query) : query;
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, method: 'POST', path: `/?${finalQuery}`, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: JSON.parse(text) as Record<string, unknown> }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('signature verification', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ domains: ['a.example.com'] });
  });
  afterAll(async () => {
    await r.emulator.stop();
  });

  it('accepts a correctly signed request', async () => {
    const answer = await rawCall(r.emulator.url, { params: { DomainName: 'a.example.com' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ RequestId: expect.any(String), CertInfos: { CertInfo: [] } });
  });

  it('answers a tampered parameter with SignatureDoesNotMatch in Alibaba\'s error shape', async () => {
    const answer = await rawCall(r.emulator.url, {
      params: { DomainName: 'a.example.com' },
      tamper: (q) => q.replace('a.example.com', 'b.example.com'),
    });
    expect(answer.status).toBe(400);
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(answer.body).toEqual({
      RequestId: expect.stringMatching(/^[0-9A-F-]{36}$/),
      HostId: 'cdn.aliyuncs.com',
      Code: 'SignatureDoesNotMatch',
      Message: expect.any(String),
      Recommend: expect.stringContaining('SignatureDoesNotMatch'),
    });
  });

  it('rejects a wrong secret, an unknown key, a replayed nonce and unsigned required headers', async () => {
    const params = { DomainName: 'a.example.com' };
    expect((await rawCall(r.emulator.url, { params, secret: 'wrong-secret' })).body['Code']).toBe('SignatureDoesNotMatch');
    const unknown = await rawCall(r.emulator.url, { params, keyId: 'LTAI-unknown' });
    expect([unknown.status, unknown.body['Code']]).toEqual([404, 'InvalidAccessKeyId.NotFound']);
    const nonce = randomUUID();
    expect((await rawCall(r.emulator.url, { params, nonce })).status).toBe(200);
    expect((await rawCall(r.emulator.url, { params, nonce })).body['Code']).toBe('SignatureNonceUsed');
    expect((await rawCall(r.emulator.url, { params, unsigned: ['x-acs-date'] })).body['Code']).toBe('IncompleteSignature');
  });

  it('rejects an inactive key and an unknown action', async () => {
    r.emulator.addAccessKey(ACCESS_KEY_ID, 'LTAI-disabled', 'disabled-secret', { inactive: true });
    const params = { DomainName: 'a.example.com' };
    expect((await rawCall(r.emulator.url, { params, keyId: 'LTAI-disabled', secret: 'disabled-secret' })).body['Code']).toBe(
      'InvalidAccessKeyId.Inactive',
    );
    const unknownAction = await rawCall(r.emulator.url, { params, action: 'DeleteEverything' });
    expect([unknownAction.status, unknownAction.body['Code']]).toEqual([404, 'InvalidAction.NotFound']);
  });

  it('does not serve one account\'s domain to another account', async () => {
    r.emulator.addAccount('LTAI-other-account', 'other-account-secret');
    const answer = await rawCall(r.emulator.url, {
      params: { DomainName: 'a.example.com' },
      keyId: 'LTAI-other-account',
      secret: 'other-account-secret',
    });
    expect([answer.status, answer.body['Code']]).toEqual([404, 'InvalidDomain.NotFound']);
  });
});

describe('certificate validation', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ domains: ['a.example.com'] });
  });
  afterAll(async () => {
    await r.emulator.stop();
  });

  async function deployMaterial(bundle: CertificateBundle, chainPem: string, keyPem: string) {
    const provider = r.driver.connect(scope(['a.example.com']), CREDENTIALS);
    const [outcome] = await provider.deploy({ binding: BINDING, targets: ['a.example.com'], certificate: { ...bundle, chainPem, keyPem }, observed: [] });
    return outcome && !outcome.ok ? outcome.error.code : 'OK';
  }

  it('answers Certificate.MissMatch, InvalidCertificate and InvalidSSLPri', async () => {
    const { bundle, issued } = await certificate();
    expect(await deployMaterial(bundle, issued.chainPem, await mismatchedKeyFor(issued))).toBe('Certificate.MissMatch');
    expect(await deployMaterial(bundle, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n', issued.keyPem)).toBe(
      'InvalidCertificate',
    );
    expect(await deployMaterial(bundle, issued.chainPem, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n')).toBe('InvalidSSLPri');
    expect(r.emulator.servedFingerprint('a.example.com')).toBeUndefined();
    expect(await deployMaterial(bundle, issued.chainPem, issued.keyPem)).toBe('OK');
    expect(r.emulator.servedFingerprint('a.example.com')).toBe(issued.fingerprintSHA256);
  });

  it('accepts a chain with an intermediate and an ECDSA key in the query string', async () => {
    const { bundle, issued } = await certificate({ withIntermediate: true, keyAlgorithm: 'ecdsa' });
    expect(await deployMaterial(bundle, issued.chainPem, issued.keyPem)).toBe('OK');
    expect(r.emulator.servedCertificate('a.example.com')?.pem).toBe(issued.chainPem);
  });
});

describe('standalone', () => {
  it('prints its URL as JSON, serves the admin API, and stops on SIGTERM', async () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    const child = spawn(
      path.join(root, 'node_modules/.bin/node'),
      ['test/emulators/alibaba/main.ts', '--account', `${ACCESS_KEY_ID}:${ACCESS_KEY_SECRET}`, '--domain', `${ACCESS_KEY_ID}:x.example.com`],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await Promise.race([
        new Promise<string>((resolve) => lines.once('line', resolve)),
        exited.then((code) => Promise.reject(new Error(`emulator exited with ${code}`))),
      ]);
      const { url } = JSON.parse(first) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const driver = alibabaDriver(
        { settings: { endpoint: url, rrsa: false, credentialsSecret: undefined }, requestTimeoutMs: 2_000, recordCall: ignoreCalls, logger: memoryLogger().logger },
        { retry: FAST_RETRY },
      );
      const provider = driver.connect(scope(['x.example.com']), CREDENTIALS);
      const admin = (p: string, body?: object) =>
        fetch(`${url}/__emulator/${p}`, body ? { method: 'POST', body: JSON.stringify(body) } : {}).then((res) => res.json());

      await admin('faults/busy', { domain: 'x.example.com', times: 1 });
      const { bundle, issued } = await certificate();
      const [outcome] = await provider.deploy({ binding: BINDING, targets: ['x.example.com'], certificate: bundle, observed: [] });
      expect(outcome?.ok).toBe(true);
      expect(await admin('domains/x.example.com')).toMatchObject({ sslOn: true, servedFingerprint: issued.fingerprintSHA256 });
      const calls = (await admin('calls')) as Array<{ code: string }>;
      expect(calls.map((c) => c.code)).toEqual(['ServiceBusy', 'OK']);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

describe('emulator state', () => {
  it('rejects a domain added twice and a domain for an unknown account', async () => {
    const emulator = await AlibabaCdnEmulator.start();
    try {
      emulator.addAccount('AK', 'secret-123456');
      emulator.addDomain('AK', 'a.example.com');
      expect(() => emulator.addDomain('AK', 'A.example.com')).toThrow(/already exists/);
      expect(() => emulator.addDomain('nobody', 'b.example.com')).toThrow(/unknown account/);
    } finally {
      await emulator.stop();
    }
  });
});
