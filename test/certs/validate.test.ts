import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_CHAIN_BYTES,
  MAX_CHAIN_CERTS,
  MAX_KEY_BYTES,
  leafInfoFromPem,
  parseTlsSecret,
  type CertificateBundle,
  type CertificateProblem,
  type ParseResult,
} from '../../src/certs/index.ts';
import {
  bundleProblems,
  certificateRequestPem,
  containsKeyMaterial,
  encryptedKey,
  garbage,
  impostorOf,
  issueCertificate,
  mismatchedKeyFor,
  pemBlocks,
  reverseChain,
  testCA,
  toCrlf,
  truncatePem,
  utf8,
  withEcParameters,
  withPemType,
  type IssuedCert,
  type IssueOptions,
} from '../fixtures/certs.ts';

const NOT_BEFORE = new Date('2030-01-01T00:00:00Z');
const NOT_AFTER = new Date('2030-04-01T00:00:00Z');
const NOW = new Date('2030-02-01T00:00:00Z');

function issue(opts: IssueOptions = {}): Promise<IssuedCert> {
  return issueCertificate({ notBefore: NOT_BEFORE, notAfter: NOT_AFTER, ...opts });
}

type Input = string | Uint8Array | undefined;
const bytes = (input: Input) => (typeof input === 'string' ? utf8(input) : input);

function parse(crt: Input, key: Input, now = NOW): ParseResult {
  return parseTlsSecret(bytes(crt), bytes(key), now);
}

function expectBundle(result: ParseResult, now = NOW): CertificateBundle {
  if (!result.ok) throw new Error(`expected a bundle, got ${result.reason}: ${result.message}`);
  expect(bundleProblems(result.bundle, now)).toEqual([]);
  return result.bundle;
}

/** A failure with `reason` and a message matching `message` that quotes neither input. */
function expectProblem(result: ParseResult, reason: CertificateProblem, message: RegExp, crt: Input, key: Input): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect({ reason: result.reason, message: result.message }).toEqual({ reason, message: expect.stringMatching(message) });
  for (const input of [crt, key]) {
    if (input === undefined) continue;
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
    expect(containsKeyMaterial(result.message, text), 'the message quotes the input').toBe(false);
  }
}

const leafFacts = (c: IssuedCert) => ({
  fingerprintSHA256: c.fingerprintSHA256,
  serialNumber: c.serialNumber,
  notBefore: c.notBefore,
  notAfter: c.notAfter,
  dnsNames: c.dnsNames.map((n) => n.toLowerCase()),
});

describe('parseTlsSecret: keys × chain shapes', () => {
  const keys: Array<[string, IssueOptions, (keyPem: string) => string]> = [
    ['RSA PKCS#1', { keyAlgorithm: 'rsa', keyEncoding: 'pkcs1' }, (k) => k],
    ['RSA PKCS#8', { keyAlgorithm: 'rsa', keyEncoding: 'pkcs8' }, (k) => k],
    ['ECDSA P-256 SEC1', { keyAlgorithm: 'ecdsa', keyEncoding: 'sec1' }, (k) => k],
    ['ECDSA P-256 SEC1 after EC PARAMETERS', { keyAlgorithm: 'ecdsa', keyEncoding: 'sec1' }, withEcParameters],
    ['ECDSA P-256 PKCS#8', { keyAlgorithm: 'ecdsa', keyEncoding: 'pkcs8' }, (k) => k],
    ['ECDSA P-384 SEC1', { keyAlgorithm: 'ecdsa', curve: 'P-384' }, (k) => k],
    ['ECDSA P-384 SEC1 after EC PARAMETERS', { keyAlgorithm: 'ecdsa', curve: 'P-384' }, withEcParameters],
    ['ECDSA P-384 PKCS#8', { keyAlgorithm: 'ecdsa', curve: 'P-384', keyEncoding: 'pkcs8' }, (k) => k],
  ];
  // [name, withIntermediate, tls.crt from the issued cert, expected chain as [leaf, intermediate, root] indices]
  const chains: Array<[string, boolean, (c: IssuedCert) => string, number[]]> = [
    ['leaf only', false, (c) => c.chainPem, [0]],
    ['leaf, root', false, (c) => c.chainPem + c.caPem, [0, 2]],
    ['leaf, intermediate', true, (c) => c.chainPem, [0, 1]],
    ['intermediate, leaf (reversed)', true, (c) => reverseChain(c.chainPem), [0, 1]],
    ['root, intermediate, leaf (reversed with root)', true, (c) => reverseChain(c.chainPem + c.caPem), [0, 1, 2]],
    ['leaf, root, intermediate', true, (c) => [c.certPem, c.caPem, pemBlocks(c.chainPem)[1]].join(''), [0, 1, 2]],
  ];

  describe.each(keys)('%s', (_keyName, opts, shapeKey) => {
    it.each(chains)('%s', async (_chainName, withIntermediate, shapeChain, order) => {
      const issued = await issue({ ...opts, withIntermediate, dnsNames: ['Example.com', 'www.example.com'] });
      const all = [...pemBlocks(issued.chainPem), ...pemBlocks(issued.caPem)];
      if (!withIntermediate) all.splice(1, 0, ''); // keep indices: 0 leaf, 1 intermediate, 2 root

      const bundle = expectBundle(parse(shapeChain(issued), shapeKey(issued.keyPem)));

      expect(bundle.chainPem).toBe(order.map((i) => all[i]).join(''));
      // Normalised but never converted: the key block comes back as issued, EC PARAMETERS dropped.
      expect(bundle.keyPem).toBe(issued.keyPem);
      expect(bundle.leaf).toEqual(leafFacts(issued));
    });
  });
});

describe('parseTlsSecret: how the PEM is written', () => {
  const variants: Array<[string, (pem: string) => string]> = [
    ['CRLF line endings', toCrlf],
    ['indentation, trailing spaces and blank lines', (p) => `\n\n${p.split('\n').map((l) => `  ${l} \t`).join('\n\n')}\n\n`],
    ['no trailing newline', (p) => p.trimEnd()],
    ['explanatory text around blocks', (p) => `Bag Attributes\n    friendlyName: example\nsubject=CN = example.com\n${p.replace(/-----\n(?=-----BEGIN)/g, '-----\nissuer=CN = x\n')}end\n`],
    ['76-column base64', rewrap(76)],
    ['each block flattened onto one line', (p) => pemBlocks(p).map((b) => b.trim().replace(/\n/g, ' ')).join('\n')],
    ['a UTF-8 byte order mark', (p) => `\ufeff${p}`],
  ];

  it.each(variants)('%s', async (_name, reshape) => {
    const issued = await issue({ keyAlgorithm: 'rsa', withIntermediate: true });
    const bundle = expectBundle(parse(reshape(reverseChain(issued.chainPem)), reshape(issued.keyPem)));
    expect(bundle.chainPem).toBe(issued.chainPem);
    expect(bundle.keyPem).toBe(issued.keyPem);
  });

  function rewrap(width: number) {
    return (pem: string) =>
      pemBlocks(pem)
        .map((block) => {
          const [begin, ...rest] = block.trim().split('\n');
          const end = rest.pop();
          return `${begin}\n${rest.join('').replace(new RegExp(`.{${width}}`, 'g'), '$&\n').replace(/\n$/, '')}\n${end}\n`;
        })
        .join('');
  }
});

describe('parseTlsSecret: chain order', () => {
  it('puts unrelated certificates after the leaf’s path, in their original order', async () => {
    const issued = await issue({ keyAlgorithm: 'ecdsa', withIntermediate: true });
    const others = await Promise.all(Array.from({ length: 7 }, () => issue({ keyAlgorithm: 'ecdsa' })));
    const [leaf, intermediate] = pemBlocks(issued.chainPem);
    const o = others.map((c) => c.certPem);
    const crt = [o[0], o[1], intermediate, o[2], o[3], leaf, o[4], issued.caPem, o[5], o[6]].join('');
    expect(pemBlocks(crt)).toHaveLength(MAX_CHAIN_CERTS);

    const bundle = expectBundle(parse(crt, issued.keyPem));
    expect(pemBlocks(bundle.chainPem)).toEqual([leaf, intermediate, issued.caPem, ...o]);
  });

  it('skips a same-named CA with another key', async () => {
    const real = await testCA('Shared Name CA');
    const other = await testCA('Shared Name CA', { keyAlgorithm: 'rsa' });
    expect(other.cert.subject).toBe(real.cert.subject);
    const issued = await issue({ keyAlgorithm: 'ecdsa', issuer: real });

    const bundle = expectBundle(parse(other.certPem + issued.certPem + real.certPem, issued.keyPem));
    expect(pemBlocks(bundle.chainPem)).toEqual([issued.certPem, real.certPem, other.certPem]);
  });

  it('follows signatures, not just names and key identifiers', async () => {
    const real = await testCA('Shared Name CA');
    const impostor = await impostorOf(real);
    const issued = await issue({ keyAlgorithm: 'ecdsa', issuer: real });
    expect(new X509Certificate(issued.certPem).checkIssued(new X509Certificate(impostor))).toBe(true);

    const bundle = expectBundle(parse(impostor + issued.certPem + real.certPem, issued.keyPem));
    expect(pemBlocks(bundle.chainPem)).toEqual([issued.certPem, real.certPem, impostor]);
  });

  it('orders a chain under an RSA root', async () => {
    const issued = await issue({ keyAlgorithm: 'rsa', withIntermediate: true, issuer: await testCA('Shared Name CA', { keyAlgorithm: 'rsa' }) });
    const bundle = expectBundle(parse(reverseChain(issued.chainPem + issued.caPem), issued.keyPem));
    expect(bundle.chainPem).toBe(issued.chainPem + issued.caPem);
  });

  it('drops exact duplicates', async () => {
    const issued = await issue({ keyAlgorithm: 'ecdsa', withIntermediate: true });
    const bundle = expectBundle(parse(issued.certPem + issued.chainPem + issued.chainPem, issued.keyPem));
    expect(bundle.chainPem).toBe(issued.chainPem);
  });

  it('picks the first matching certificate when two share the key (renewal with rotationPolicy: Never)', async () => {
    const old = await issue({ keyAlgorithm: 'ecdsa', notBefore: new Date('2029-12-01T00:00:00Z') });
    const renewed = await issue({ reuseKeyOf: old });
    expect(renewed.keyPem).toBe(old.keyPem);
    expect(renewed.fingerprintSHA256).not.toBe(old.fingerprintSHA256);

    const renewedFirst = expectBundle(parse(renewed.certPem + old.certPem, old.keyPem));
    expect(renewedFirst.leaf.fingerprintSHA256).toBe(renewed.fingerprintSHA256);
    const oldFirst = expectBundle(parse(old.certPem + renewed.certPem, old.keyPem));
    expect(oldFirst.leaf.fingerprintSHA256).toBe(old.fingerprintSHA256);
  });
});

describe('parseTlsSecret: validity', () => {
  const ms = (d: Date, delta: number) => new Date(d.getTime() + delta);
  it.each<[string, Date, CertificateProblem | 'ok', RegExp?]>([
    ['a second before notBefore', ms(NOT_BEFORE, -1000), 'InvalidCertificate', /^the certificate is not valid before 2030-01-01T00:00:00\.000Z$/],
    ['a millisecond before notBefore', ms(NOT_BEFORE, -1), 'InvalidCertificate', /not valid before/],
    ['exactly notBefore', NOT_BEFORE, 'ok'],
    ['between', NOW, 'ok'],
    ['exactly notAfter', NOT_AFTER, 'ok'],
    ['a millisecond after notAfter', ms(NOT_AFTER, 1), 'CertificateExpired', /^the certificate expired at 2030-04-01T00:00:00\.000Z$/],
    ['years after notAfter', new Date('2040-01-01T00:00:00Z'), 'CertificateExpired', /expired at 2030-04-01/],
  ])('%s', async (_name, now, expected, message) => {
    const issued = await issue({ keyAlgorithm: 'ecdsa' });
    const result = parse(issued.chainPem, issued.keyPem, now);
    if (expected === 'ok') expectBundle(result, now);
    else expectProblem(result, expected, message!, issued.chainPem, issued.keyPem);
  });

  it('refuses a leaf whose validity dates cannot be read', async () => {
    const issued = await issue({ keyAlgorithm: 'ecdsa' });
    // Month 13 in the UTCTime of notBefore. OpenSSL still parses the certificate.
    const der = Buffer.from(pemBlocks(issued.certPem)[0]!.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const at = der.indexOf('300101000000Z');
    expect(at).toBeGreaterThan(0);
    der.write('301301000000Z', at, 'latin1');
    const crt = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    expect(() => new X509Certificate(crt)).not.toThrow();

    expectProblem(parse(crt, issued.keyPem), 'InvalidCertificate', /^the certificate has a malformed validity period$/, crt, issued.keyPem);
    expect(leafInfoFromPem(crt)).toBeUndefined();
  });

  it('counts only the leaf: an expired intermediate does not fail the Secret', async () => {
    // The fixture intermediate is valid until 2040, the root until 2045.
    const issued = await issue({ keyAlgorithm: 'ecdsa', withIntermediate: true, notBefore: new Date('2046-01-01T00:00:00Z'), notAfter: new Date('2046-04-01T00:00:00Z') });
    expectBundle(parse(issued.chainPem + issued.caPem, issued.keyPem, new Date('2046-02-01T00:00:00Z')), new Date('2046-02-01T00:00:00Z'));
  });

  it('reports a key mismatch before validity', async () => {
    const issued = await issue({ keyAlgorithm: 'ecdsa' });
    const other = await mismatchedKeyFor(issued);
    expectProblem(parse(issued.chainPem, other, new Date('2040-01-01T00:00:00Z')), 'KeyMismatch', /does not match/, issued.chainPem, other);
  });
});

describe('parseTlsSecret: key mismatch', () => {
  it.each<[string, IssueOptions, (c: IssuedCert) => Promise<[string, string]>, RegExp]>([
    ['another RSA key', { keyAlgorithm: 'rsa' }, async (c) => [c.chainPem, await mismatchedKeyFor(c)], /^tls\.key does not match the certificate in tls\.crt$/],
    ['another P-256 key', { keyAlgorithm: 'ecdsa' }, async (c) => [c.chainPem, await mismatchedKeyFor(c)], /does not match the certificate/],
    ['a P-384 key for a P-256 certificate', { keyAlgorithm: 'ecdsa' }, async (c) => [c.chainPem, (await issue({ keyAlgorithm: 'ecdsa', curve: 'P-384' })).keyPem], /does not match/],
    ['an ECDSA key for an RSA certificate', { keyAlgorithm: 'rsa' }, async (c) => [c.chainPem, (await issue({ keyAlgorithm: 'ecdsa' })).keyPem], /does not match/],
    ['another key, chain with intermediate', { keyAlgorithm: 'rsa', withIntermediate: true }, async (c) => [c.chainPem, await mismatchedKeyFor(c)], /^tls\.key does not match any certificate in tls\.crt$/],
    ['the leaf missing from the chain', { keyAlgorithm: 'ecdsa', withIntermediate: true }, async (c) => [pemBlocks(c.chainPem)[1]! + c.caPem, c.keyPem], /does not match any certificate/],
  ])('%s', async (_name, opts, make, message) => {
    const [crt, key] = await make(await issue(opts));
    expectProblem(parse(crt, key), 'KeyMismatch', message, crt, key);
  });
});

describe('parseTlsSecret: keys that are refused', () => {
  it.each<[string, IssueOptions, (keyPem: string) => string]>([
    ['PKCS#8 encrypted RSA', { keyAlgorithm: 'rsa' }, (k) => encryptedKey(k, 'pkcs8')],
    ['PKCS#8 encrypted ECDSA', { keyAlgorithm: 'ecdsa' }, (k) => encryptedKey(k, 'pkcs8')],
    ['legacy-encrypted PKCS#1', { keyAlgorithm: 'rsa' }, (k) => encryptedKey(k, 'legacy')],
    ['legacy-encrypted SEC1, CRLF', { keyAlgorithm: 'ecdsa' }, (k) => toCrlf(encryptedKey(k, 'legacy'))],
    ['legacy-encrypted SEC1 after EC PARAMETERS', { keyAlgorithm: 'ecdsa' }, (k) => withEcParameters(k).replace(k, encryptedKey(k, 'legacy'))],
    ['encrypted PKCS#8 under a plain PRIVATE KEY label', { keyAlgorithm: 'ecdsa' }, (k) => withPemType(encryptedKey(k, 'pkcs8'), 'PRIVATE KEY')],
  ])('%s: encrypted keys are not supported', async (_name, opts, encrypt) => {
    const issued = await issue(opts);
    const key = encrypt(issued.keyPem);
    expectProblem(parse(issued.chainPem, key), 'InvalidCertificate', /encrypted private keys are not supported/, issued.chainPem, key);
    expect(containsKeyMaterial(JSON.stringify(parse(issued.chainPem, key)), issued.keyPem)).toBe(false);
  });

  it.each<[string, (c: IssuedCert) => Promise<string>, RegExp]>([
    ['two keys', async (c) => c.keyPem + (await mismatchedKeyFor(c)), /^tls\.key holds 2 private keys; expected exactly one$/],
    ['the same key twice', async (c) => c.keyPem + c.keyPem, /holds 2 private keys/],
    ['EC PARAMETERS alone', async (c) => withEcParameters(c.keyPem).slice(0, withEcParameters(c.keyPem).indexOf(c.keyPem)), /^tls\.key holds no private key$/],
    ['the certificate (swapped fields)', async (c) => c.certPem, /^tls\.key: PEM block 1 is a certificate; tls\.key must hold only the private key$/],
    ['key then certificate (combined PEM)', async (c) => c.keyPem + c.certPem, /PEM block 2 is a certificate/],
    ['a public key', async () => publicKeyPem(), /PEM block 1 is a public key/],
    ['an Ed25519 key', async () => otherKeyPem('ed25519'), /^tls\.key is an unsupported ed25519 key; only RSA and ECDSA \(P-256, P-384\) keys are supported$/],
    ['an ECDSA P-521 key', async () => otherKeyPem('ec-p521'), /^tls\.key is an ECDSA key on an unsupported curve; only P-256 and P-384 are supported$/],
    ['an ECDSA P-256K (secp256k1) key', async () => otherKeyPem('ec-k1'), /unsupported curve/],
    ['a PKCS#8 body under the PKCS#1 label', async (c) => withPemType(c.keyPem, 'RSA PRIVATE KEY'), /^tls\.key is not a valid PKCS#1 RSA private key$/],
    ['a PKCS#1 body under the PKCS#8 label', async () => withPemType((await issue({ keyAlgorithm: 'rsa' })).keyPem, 'PRIVATE KEY'), /^tls\.key is not a valid PKCS#8 private key$/],
    ['a SEC1 label on an RSA key', async () => withPemType((await issue({ keyAlgorithm: 'rsa' })).keyPem, 'EC PRIVATE KEY'), /^tls\.key is not a valid SEC1 EC private key$/],
  ])('%s', async (_name, makeKey, message) => {
    const issued = await issue({ keyAlgorithm: 'ecdsa', keyEncoding: 'pkcs8' });
    const key = await makeKey(issued);
    expectProblem(parse(issued.chainPem, key), 'InvalidCertificate', message, issued.chainPem, key);
  });

  function publicKeyPem(): string {
    return generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
  }
  function otherKeyPem(kind: 'ed25519' | 'ec-p521' | 'ec-k1'): string {
    const pair =
      kind === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: kind === 'ec-p521' ? 'P-521' : 'secp256k1' });
    return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  }
});

describe('parseTlsSecret: malformed input', () => {
  // Each case builds [tls.crt, tls.key] from a valid ECDSA chain and key.
  const cases: Array<[string, (c: IssuedCert) => Promise<[Input, Input]> | [Input, Input], RegExp]> = [
    ['tls.crt missing', (c) => [undefined, c.keyPem], /^tls\.crt is missing or empty$/],
    ['tls.crt empty', (c) => ['', c.keyPem], /^tls\.crt is missing or empty$/],
    ['tls.key missing', (c) => [c.chainPem, undefined], /^tls\.key is missing or empty$/],
    ['tls.key empty', (c) => [c.chainPem, new Uint8Array(0)], /^tls\.key is missing or empty$/],
    ['tls.crt whitespace only', (c) => [' \n\t\r\n', c.keyPem], /^tls\.crt holds no PEM block/],
    ['tls.crt plain text', (c) => ['this is not a certificate\n', c.keyPem], /^tls\.crt holds no PEM block/],
    ['tls.crt binary garbage', (c) => [garbage(4096, 7), c.keyPem], /^tls\.crt holds no PEM block/],
    ['tls.crt DER instead of PEM', (c) => [Buffer.from(pemBody(c.certPem), 'base64'), c.keyPem], /^tls\.crt holds no PEM block/],
    ['tls.crt base64 of the PEM (encoded twice)', (c) => [Buffer.from(c.chainPem).toString('base64'), c.keyPem], /^tls\.crt holds no PEM block/],
    ['tls.crt truncated', (c) => [truncatePem(c.chainPem, 0.6), c.keyPem], /^tls\.crt: PEM block \d has a BEGIN line but no END line/],
    ['tls.crt cut at the start', (c) => [c.chainPem.slice(40), c.keyPem], /^tls\.crt: found a PEM END line without its BEGIN line/],
    ['tls.crt second certificate truncated', (c) => [c.certPem + truncatePem(c.caPem, 0.5), c.keyPem], /^tls\.crt: PEM block 2 has a BEGIN line but no END line/],
    ['tls.crt END type differs', (c) => [c.certPem.replace('END CERTIFICATE', 'END X509 CRL'), c.keyPem], /^tls\.crt: PEM block 1 ends with a different type/],
    ['tls.crt bad base64 character', (c) => [c.certPem.replace(/\n([A-Za-z0-9+/]{10})[A-Za-z0-9+/]/, '\n$1*'), c.keyPem], /^tls\.crt: PEM block 1 is not valid base64$/],
    ['tls.crt base64 line lost', (c) => [c.certPem.replace(/\n[A-Za-z0-9+/]{64}\n/, '\n'), c.keyPem], /^tls\.crt: certificate 1 is not a valid X\.509 certificate$/],
    ['tls.crt base64 character lost', (c) => [c.certPem.replace(/\n([A-Za-z0-9+/]{10})[A-Za-z0-9+/]/, '\n$1'), c.keyPem], /^tls\.crt: PEM block 1 is not valid base64$/],
    ['tls.crt empty block', (c) => ['-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', c.keyPem], /^tls\.crt: PEM block 1 is empty$/],
    ['tls.crt holds the key (swapped fields)', (c) => [c.keyPem, c.keyPem], /^tls\.crt: PEM block 1 is a private key; tls\.crt must hold only certificates$/],
    ['tls.crt holds key and certificate', (c) => [c.certPem + c.keyPem, c.keyPem], /^tls\.crt: PEM block 2 is a private key/],
    ['tls.crt holds a CSR', async (c) => [await certificateRequestPem(), c.keyPem], /^tls\.crt: PEM block 1 is a certificate signing request/],
    ['tls.crt OpenSSL TRUSTED CERTIFICATE', (c) => [withPemType(c.certPem, 'TRUSTED CERTIFICATE'), c.keyPem], /PEM block 1 is an OpenSSL trusted certificate/],
    ['tls.crt unknown label', (c) => [withPemType(c.certPem, 'SOMETHING ELSE'), c.keyPem], /^tls\.crt: PEM block 1 is an unexpected PEM block/],
    ['tls.crt CERTIFICATE label on a key body', (c) => [withPemType(c.keyPem, 'CERTIFICATE'), c.keyPem], /^tls\.crt: certificate 1 is not a valid X\.509 certificate$/],
    ['tls.crt certificate with trailing bytes', (c) => [pem('CERTIFICATE', Buffer.concat([der(c.certPem), Buffer.from([0, 1, 2])])), c.keyPem], /certificate 1 is not a valid X\.509/],
    ['tls.crt PEM nested in a CERTIFICATE block', (c) => [pem('CERTIFICATE', Buffer.from(c.certPem)), c.keyPem], /certificate 1 is not a valid X\.509/],
    ['tls.crt certificate cut short inside valid base64', (c) => [pem('CERTIFICATE', der(c.certPem).subarray(0, 200)), c.keyPem], /certificate 1 is not a valid X\.509/],
    ['tls.crt second certificate corrupt', (c) => [c.certPem + pem('CERTIFICATE', garbage(300, 3)), c.keyPem], /^tls\.crt: certificate 2 is not a valid X\.509 certificate$/],
    ['tls.key plain text', (c) => [c.chainPem, 'hunter2'], /^tls\.key holds no PEM block/],
    ['tls.key binary garbage', (c) => [c.chainPem, garbage(1024, 11)], /^tls\.key holds no PEM block/],
    ['tls.key DER instead of PEM', (c) => [c.chainPem, der(c.keyPem)], /^tls\.key holds no PEM block/],
    ['tls.key truncated', (c) => [c.chainPem, truncatePem(c.keyPem, 0.7)], /^tls\.key: PEM block 1 has a BEGIN line but no END line/],
    ['tls.key bad base64', (c) => [c.chainPem, c.keyPem.replace(/\n([A-Za-z0-9+/]{5})[A-Za-z0-9+/]/, '\n$1%')], /^tls\.key: PEM block 1 is not valid base64$/],
    ['tls.key garbage body', (c) => [c.chainPem, pem('PRIVATE KEY', garbage(120, 5))], /^tls\.key is not a valid PKCS#8 private key$/],
    ['tls.key a CSR', async (c) => [c.chainPem, await certificateRequestPem()], /^tls\.key: PEM block 1 is a certificate signing request/],
    ['tls.key unknown label', (c) => [c.chainPem, withPemType(c.keyPem, 'OPENSSH PRIVATE KEY')], /^tls\.key: PEM block 1 is an unexpected PEM block/],
  ];

  it.each(cases)('%s', async (_name, make, message) => {
    const issued = await issue({ keyAlgorithm: 'ecdsa', keyEncoding: 'pkcs8' });
    const [crt, key] = await make(issued);
    expectProblem(parse(crt, key), 'InvalidCertificate', message, crt, key);
  });

  function pemBody(text: string): string {
    return text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  }
  function der(text: string): Buffer {
    return Buffer.from(pemBody(pemBlocks(text)[0]!), 'base64');
  }
  function pem(type: string, body: Uint8Array): string {
    return `-----BEGIN ${type}-----\n${Buffer.from(body).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${type}-----\n`;
  }
});

describe('parseTlsSecret: size limits', () => {
  it('accepts a chain padded with text up to exactly MAX_CHAIN_BYTES', async () => {
    const issued = await issue({ keyAlgorithm: 'ecdsa' });
    const crt = issued.chainPem + 'x'.repeat(MAX_CHAIN_BYTES - issued.chainPem.length);
    expect(utf8(crt).byteLength).toBe(MAX_CHAIN_BYTES);
    expect(expectBundle(parse(crt, issued.keyPem)).chainPem).toBe(issued.chainPem);
  });

  it.each<[string, (c: IssuedCert) => [Input, Input], RegExp]>([
    ['tls.crt one byte over the limit', (c) => [c.chainPem + 'x'.repeat(MAX_CHAIN_BYTES + 1 - c.chainPem.length), c.keyPem], /^tls\.crt is larger than 256 KiB$/],
    ['tls.crt of 4 MiB of certificates', (c) => [c.certPem.repeat(Math.ceil((4 << 20) / c.certPem.length)), c.keyPem], /^tls\.crt is larger than 256 KiB$/],
    ['tls.crt of 1 MiB of garbage', (c) => [garbage(1 << 20, 9), c.keyPem], /^tls\.crt is larger than 256 KiB$/],
    ['tls.crt with one certificate too many', (c) => [c.certPem + c.caPem + distinctCertsPem(MAX_CHAIN_CERTS - 1), c.keyPem], /^tls\.crt holds 11 certificates; at most 10 are accepted$/],
    ['tls.key over its limit', (c) => [c.chainPem, c.keyPem + ' '.repeat(MAX_KEY_BYTES)], /^tls\.key is larger than 64 KiB$/],
  ])('%s', async (_name, make, message) => {
    const issued = await issue({ keyAlgorithm: 'ecdsa' });
    const [crt, key] = make(issued);
    expectProblem(parse(crt, key), 'InvalidCertificate', message, crt, key);
  });

  let distinct = '';
  beforeAll(async () => {
    const certs = await Promise.all(Array.from({ length: MAX_CHAIN_CERTS }, () => issue({ keyAlgorithm: 'ecdsa' })));
    distinct = certs.map((c) => c.certPem).join('');
  });
  function distinctCertsPem(n: number): string {
    return pemBlocks(distinct).slice(0, n).join('');
  }
});
