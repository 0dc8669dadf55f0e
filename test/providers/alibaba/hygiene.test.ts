// Secret hygiene. The SDK sends the private key in the URL query string and
// its transport errors quote that URL, so a reset or a timeout during a deploy
// is exactly where a key would leak. Everything the provider emits in those
// cases (logs at debug level, ProviderError messages, outcomes, observations,
// recorded calls) must hold neither key material nor credentials, in any
// encoding. A control shows the raw SDK error does hold the key, so the
// checks below can fail.
import querystring from 'node:querystring';
import * as $Cdn from '@alicloud/cdn20180510';
import { RuntimeOptions } from '@darabonba/typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCdnClient, parseEndpoint } from '../../../src/providers/alibaba/client.ts';
import type { Observation, Outcome } from '../../../src/providers/provider.ts';
import { containsKeyMaterial, pemBodies } from '../../fixtures/certs.ts';
import { ACCESS_KEY_ID, BINDING, certificate, rig, scope, type Rig, type TestCertificate } from './harness.ts';

const SET = 'SetCdnDomainSSLCertificate';
const STS_KEY_ID = 'STS.NHygieneKeyId';
const STS_SECRET = 'sts-secret-Hq7Zp3Lx9Vb2Nc8Rt4Wm';
const STS_TOKEN = 'CAIS-hygiene-security-token-Ke5Jt1Uo6Yi0';
const CREDENTIALS = { accessKeyId: STS_KEY_ID, accessKeySecret: STS_SECRET, securityToken: STS_TOKEN };
const TIMEOUT_MS = 250;
const domains = ['a.example.com', 'b.example.com'];

/** Every way `secret` can be spelled on the wire or in a message. */
function spellings(secret: string): string[] {
  const forms = new Set<string>([
    secret,
    encodeURIComponent(secret),
    querystring.escape(secret),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    Buffer.from(secret).toString('base64'),
    JSON.stringify(secret).slice(1, -1),
  ]);
  for (const body of pemBodies(secret)) {
    forms.add(body);
    forms.add(encodeURIComponent(body));
    forms.add(Buffer.from(body).toString('base64'));
  }
  for (const line of secret.split('\n')) {
    if (line.length >= 16 && !line.startsWith('-----')) {
      forms.add(line);
      forms.add(encodeURIComponent(line));
    }
  }
  return [...forms];
}

function decodedVariants(text: string): string[] {
  const variants = [text, text.replace(/\\n/g, '\n')];
  try {
    variants.push(decodeURIComponent(text.replace(/\+/g, ' ')));
  } catch {
    // Not URL-decodable as a whole; the encoded forms are checked directly.
  }
  return variants;
}

/** What in `text` gives away `keyPem` or a credential; empty when clean. */
function leaks(text: string, keyPem: string): string[] {
  const found: string[] = [];
  for (const form of spellings(keyPem)) if (text.includes(form)) found.push(`key form ${JSON.stringify(form.slice(0, 24))}`);
  for (const variant of decodedVariants(text)) if (containsKeyMaterial(variant, keyPem)) found.push('a 16-character run of the key');
  for (const secret of [STS_SECRET, STS_TOKEN]) {
    for (const form of spellings(secret)) if (text.includes(form)) found.push(`credential form ${JSON.stringify(form.slice(0, 8))}…`);
  }
  return found;
}

function describeAll(items: ReadonlyArray<Outcome | Observation>): string {
  return items
    .map((item) => {
      const error = 'error' in item && item.error ? item.error : undefined;
      return `${JSON.stringify(item)} ${error ? `${error.message} | ${error.describe()} | ${String(error)}` : ''}`;
    })
    .join('\n');
}

let r: Rig;
let cert: TestCertificate;
beforeAll(async () => {
  r = await rig({ domains, requestTimeoutMs: TIMEOUT_MS, driver: { setCertificatePerSecond: 1000 } });
  r.emulator.addAccessKey(ACCESS_KEY_ID, STS_KEY_ID, STS_SECRET, { securityToken: STS_TOKEN });
  // RSA, cert-manager's default: the longest key, the most lines to leak.
  cert = await certificate({ keyAlgorithm: 'rsa' });
});
afterAll(async () => {
  await r.emulator.stop();
});

describe('secret hygiene', () => {
  it('control: the raw SDK error of a reset quotes the key in the URL', async () => {
    r.emulator.clearFaults();
    r.emulator.reset({ times: 1, action: SET });
    const client = createCdnClient({ endpoint: parseEndpoint(r.emulator.url), credentials: CREDENTIALS, timeoutMs: TIMEOUT_MS });
    const request = new $Cdn.SetCdnDomainSSLCertificateRequest({
      domainName: 'a.example.com',
      certType: 'upload',
      SSLProtocol: 'on',
      SSLPub: cert.bundle.chainPem,
      SSLPri: cert.bundle.keyPem,
    });
    const raw = await client.setCdnDomainSSLCertificateWithOptions(request, new RuntimeOptions({})).then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    expect(raw).toBeDefined();
    expect(leaks(raw ?? '', cert.bundle.keyPem).length).toBeGreaterThan(0);
  });

  it('keeps the key and credentials out of logs, errors, outcomes and recorded calls through resets and timeouts', async () => {
    const provider = r.driver.connect(scope(domains), CREDENTIALS);
    const emitted: string[] = [];
    const deploy = async () => {
      const outcomes = await provider.deploy({ binding: BINDING, targets: domains, certificate: cert.bundle, observed: [] });
      emitted.push(describeAll(outcomes));
      return outcomes;
    };

    // A reset and a timeout that the in-call retries ride out.
    r.emulator.clearFaults();
    r.emulator.reset({ times: 1, action: SET, domain: 'a.example.com' });
    r.emulator.hang({ times: 1, action: SET, domain: 'b.example.com' });
    expect((await deploy()).every((o) => o.ok)).toBe(true);

    // Resets and timeouts that outlast them: failed outcomes with transport errors.
    r.emulator.clearFaults();
    r.emulator.reset({ action: SET, domain: 'a.example.com' });
    r.emulator.hang({ action: SET, domain: 'b.example.com' });
    const failing = await deploy();
    expect(failing.map((o) => (o.ok ? 'ok' : o.error.code))).toEqual(['ECONNRESET', 'ETIMEDOUT']);

    // And a vendor rejection of the key itself, for good measure.
    r.emulator.clearFaults();
    r.emulator.failWith('SSLPri.Malformed', { action: SET });
    expect((await deploy()).every((o) => !o.ok && o.error.code === 'SSLPri.Malformed')).toBe(true);

    r.emulator.clearFaults();
    r.emulator.reset({ action: 'DescribeDomainCertificateInfo' });
    emitted.push(describeAll(await provider.observe({ binding: BINDING, targets: domains })));
    r.emulator.clearFaults();

    const everything = [r.log.text(), ...emitted, JSON.stringify(r.calls)].join('\n');
    // The log really holds the per-call detail being checked.
    expect(r.log.text()).toContain('ECONNRESET');
    expect(r.log.text()).toContain('ETIMEDOUT');
    expect(leaks(everything, cert.bundle.keyPem)).toEqual([]);
    expect(everything).not.toContain('PRIVATE KEY');
    expect(everything).not.toContain('SSLPri=');
  });
});
