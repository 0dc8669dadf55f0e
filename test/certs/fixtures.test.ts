// The fixture builders are used by every suite, so they are checked here
// against node:crypto: real chains, the requested encodings, distinct
// certificates, and Secrets shaped like cert-manager's.
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  encryptedKey,
  issueCertificate,
  mismatchedKeyFor,
  pemBlocks,
  reverseChain,
  testCA,
  withEcParameters,
  type IssueOptions,
} from '../fixtures/certs.ts';
import { CERT_MANAGER_SECRET_LABEL, renewedSecret, renewedSecretData, tlsSecret } from '../fixtures/secrets.ts';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

function certsOf(pem: string): X509Certificate[] {
  return pemBlocks(pem).map((block) => new X509Certificate(block));
}

function spki(key: Parameters<typeof createPublicKey>[0]): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

function decode(value: string | undefined): string {
  return Buffer.from(value ?? '', 'base64').toString('utf8');
}

describe('issueCertificate', () => {
  it('issues a leaf with the requested SANs, serverAuth and a key that matches it, signed by the root', async () => {
    const issued = await issueCertificate({ dnsNames: ['cdn.example.com', '*.static.example.com'] });
    const [leaf, ...rest] = certsOf(issued.chainPem);
    const [root] = certsOf(issued.caPem);

    expect(rest).toHaveLength(0);
    expect(leaf?.subjectAltName).toBe('DNS:cdn.example.com, DNS:*.static.example.com');
    expect(leaf?.subject).toBe('CN=cdn.example.com');
    expect(leaf?.ca).toBe(false);
    expect(leaf?.keyUsage).toContain(SERVER_AUTH);
    expect(leaf?.checkPrivateKey(createPrivateKey(issued.keyPem))).toBe(true);
    expect(root?.ca).toBe(true);
    expect(leaf?.checkIssued(root!)).toBe(true);
    expect(leaf?.verify(root!.publicKey)).toBe(true);
    expect(root?.verify(root.publicKey)).toBe(true);
  });

  it('puts the intermediate after the leaf in chainPem and keeps the root in caPem only', async () => {
    const issued = await issueCertificate({ withIntermediate: true, keyAlgorithm: 'ecdsa' });
    const [leaf, intermediate, ...rest] = certsOf(issued.chainPem);
    const [root] = certsOf(issued.caPem);

    expect(rest).toHaveLength(0);
    expect(leaf?.checkIssued(intermediate!)).toBe(true);
    expect(leaf?.verify(intermediate!.publicKey)).toBe(true);
    expect(intermediate?.ca).toBe(true);
    expect(intermediate?.checkIssued(root!)).toBe(true);
    expect(intermediate?.verify(root!.publicKey)).toBe(true);
    expect(issued.certPem).toBe(pemBlocks(issued.chainPem)[0]);
  });

  it('reports facts that match the certificate as node reads it', async () => {
    const issued = await issueCertificate({ keyAlgorithm: 'ecdsa', serial: '8f00a1' });
    const [leaf] = certsOf(issued.certPem);

    expect(issued.fingerprintSHA256).toBe(createHash('sha256').update(leaf!.raw).digest('hex'));
    expect(issued.fingerprintSHA256).toBe(leaf!.fingerprint256.replace(/:/g, '').toLowerCase());
    // DER holds 00 8f 00 a1 (sign padding); the serial's value is 8f00a1.
    expect(issued.serialNumber).toBe('8f00a1');
    expect(leaf!.serialNumber).toBe('8F00A1');
    expect(new Date(leaf!.validFrom)).toEqual(issued.notBefore);
    expect(new Date(leaf!.validTo)).toEqual(issued.notAfter);
  });

  it('truncates validity to whole seconds and derives notAfter from validDays', async () => {
    const notBefore = new Date('2030-05-06T07:08:09.999Z');
    const issued = await issueCertificate({ keyAlgorithm: 'ecdsa', notBefore, validDays: 10 });
    expect(issued.notBefore).toEqual(new Date('2030-05-06T07:08:09Z'));
    expect(issued.notAfter).toEqual(new Date('2030-05-16T07:08:09Z'));
  });

  it.each<[IssueOptions, string]>([
    [{ keyAlgorithm: 'rsa' }, 'RSA PRIVATE KEY'],
    [{ keyAlgorithm: 'rsa', keyEncoding: 'pkcs1' }, 'RSA PRIVATE KEY'],
    [{ keyAlgorithm: 'rsa', keyEncoding: 'pkcs8' }, 'PRIVATE KEY'],
    [{ keyAlgorithm: 'ecdsa' }, 'EC PRIVATE KEY'],
    [{ keyAlgorithm: 'ecdsa', keyEncoding: 'pkcs1' }, 'EC PRIVATE KEY'],
    [{ keyAlgorithm: 'ecdsa', keyEncoding: 'sec1' }, 'EC PRIVATE KEY'],
    [{ keyAlgorithm: 'ecdsa', keyEncoding: 'pkcs8' }, 'PRIVATE KEY'],
    [{ keyAlgorithm: 'ecdsa', curve: 'P-384' }, 'EC PRIVATE KEY'],
  ])('writes %o keys as %s', async (opts, label) => {
    const issued = await issueCertificate(opts);
    expect(issued.keyPem).toMatch(new RegExp(`^-----BEGIN ${label}-----\\n`));
    expect(issued.keyPem).toMatch(new RegExp(`\\n-----END ${label}-----\\n$`));
    const key = createPrivateKey(issued.keyPem);
    expect(key.asymmetricKeyType).toBe(opts.keyAlgorithm === 'ecdsa' ? 'ec' : 'rsa');
    if (opts.curve === 'P-384') expect(key.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(certsOf(issued.certPem)[0]?.checkPrivateKey(key)).toBe(true);
  });

  it('refuses SEC1 for an RSA key', async () => {
    await expect(issueCertificate({ keyAlgorithm: 'rsa', keyEncoding: 'sec1' })).rejects.toThrow(/SEC1/);
  });

  it('returns a distinct certificate on every call, even from the shared key pool', async () => {
    const issued = await Promise.all(Array.from({ length: 12 }, () => issueCertificate({ keyAlgorithm: 'rsa' })));
    expect(new Set(issued.map((c) => c.serialNumber)).size).toBe(issued.length);
    expect(new Set(issued.map((c) => c.fingerprintSHA256)).size).toBe(issued.length);
  });

  it('caches CAs per name and keeps different names apart', async () => {
    expect(await testCA('a')).toBe(await testCA('a'));
    expect((await testCA('a')).certPem).not.toBe((await testCA('b')).certPem);
    const issued = await issueCertificate({ keyAlgorithm: 'ecdsa', issuer: await testCA('b') });
    expect(issued.caPem).toBe((await testCA('b')).certPem);
  });
});

describe('PEM helpers', () => {
  it('mismatchedKeyFor gives a valid key of the same kind and encoding that does not match', async () => {
    for (const opts of [
      { keyAlgorithm: 'rsa', keyEncoding: 'pkcs1' },
      { keyAlgorithm: 'ecdsa', keyEncoding: 'pkcs8' },
      { keyAlgorithm: 'ecdsa', curve: 'P-384' },
    ] satisfies IssueOptions[]) {
      const issued = await issueCertificate(opts);
      const other = await mismatchedKeyFor(issued);
      expect(other.split('\n')[0]).toBe(issued.keyPem.split('\n')[0]);
      expect(createPrivateKey(other).asymmetricKeyDetails).toEqual(createPrivateKey(issued.keyPem).asymmetricKeyDetails);
      expect(spki(other).equals(spki(issued.keyPem))).toBe(false);
    }
  });

  it('reverseChain reverses the order of blocks', async () => {
    const issued = await issueCertificate({ keyAlgorithm: 'ecdsa', withIntermediate: true });
    expect(pemBlocks(reverseChain(issued.chainPem))).toEqual(pemBlocks(issued.chainPem).reverse());
  });

  it('withEcParameters prepends the curve OID openssl writes', async () => {
    const p256 = await issueCertificate({ keyAlgorithm: 'ecdsa' });
    const p384 = await issueCertificate({ keyAlgorithm: 'ecdsa', curve: 'P-384' });
    expect(withEcParameters(p256.keyPem)).toBe(`-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${p256.keyPem}`);
    expect(withEcParameters(p384.keyPem)).toBe(`-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n${p384.keyPem}`);
  });

  it('encryptedKey writes both encrypted forms', async () => {
    const issued = await issueCertificate({ keyAlgorithm: 'ecdsa' });
    expect(encryptedKey(issued.keyPem, 'pkcs8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(encryptedKey(issued.keyPem, 'legacy')).toMatch(/^-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n/);
  });
});

describe('tlsSecret', () => {
  it('is the Secret cert-manager writes', async () => {
    const cert = await issueCertificate({ keyAlgorithm: 'ecdsa', dnsNames: ['example.com', 'www.example.com'], withIntermediate: true });
    const secret = tlsSecret({ namespace: 'web', name: 'example-com-tls', cert, issuerName: 'ca-issuer', issuerKind: 'Issuer' });

    expect(secret).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'example-com-tls',
        namespace: 'web',
        annotations: {
          'cert-manager.io/certificate-name': 'example-com',
          'cert-manager.io/issuer-name': 'ca-issuer',
          'cert-manager.io/issuer-kind': 'Issuer',
          'cert-manager.io/issuer-group': 'cert-manager.io',
          'cert-manager.io/common-name': 'example.com',
          'cert-manager.io/alt-names': 'example.com,www.example.com',
          'cert-manager.io/ip-sans': '',
          'cert-manager.io/uri-sans': '',
        },
        labels: { [CERT_MANAGER_SECRET_LABEL]: 'true' },
      },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': Buffer.from(cert.chainPem).toString('base64'),
        'tls.key': Buffer.from(cert.keyPem).toString('base64'),
        'ca.crt': Buffer.from(cert.caPem).toString('base64'),
      },
    });
  });

  it('applies options: certificate name, type, identity and extra data (which may replace TLS keys)', async () => {
    const cert = await issueCertificate({ keyAlgorithm: 'ecdsa' });
    const secret = tlsSecret({
      namespace: 'ns',
      name: 'site',
      cert,
      certificateName: 'site-cert',
      type: 'Opaque',
      uid: 'uid-1',
      resourceVersion: '7',
      extraData: { 'keystore.p12': 'binary-ish', 'tls.key': '' },
    });
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata?.uid).toBe('uid-1');
    expect(secret.metadata?.resourceVersion).toBe('7');
    expect(secret.metadata?.annotations?.['cert-manager.io/certificate-name']).toBe('site-cert');
    expect(decode(secret.data?.['keystore.p12'])).toBe('binary-ish');
    expect(secret.data?.['tls.key']).toBe('');
    expect(decode(secret.data?.['tls.crt'])).toBe(cert.chainPem);
  });

  it('renews in place: new TLS data and annotations, other data and identity kept', async () => {
    const first = await issueCertificate({ keyAlgorithm: 'ecdsa', dnsNames: ['a.example.com'] });
    const second = await issueCertificate({ keyAlgorithm: 'ecdsa', dnsNames: ['a.example.com', 'b.example.com'] });
    const secret = tlsSecret({ namespace: 'ns', name: 'a-tls', cert: first, uid: 'u', extraData: { other: 'kept' } });

    const data = renewedSecretData(secret, second);
    expect(decode(data['tls.crt'])).toBe(second.chainPem);
    expect(decode(data['tls.key'])).toBe(second.keyPem);
    expect(decode(data['ca.crt'])).toBe(second.caPem);
    expect(decode(data['other'])).toBe('kept');
    expect(decode(secret.data?.['tls.crt'])).toBe(first.chainPem); // the input is not mutated

    const renewed = renewedSecret(secret, second);
    expect(renewed.metadata?.uid).toBe('u');
    expect(renewed.metadata?.annotations?.['cert-manager.io/alt-names']).toBe('a.example.com,b.example.com');
    expect(renewed.metadata?.annotations?.['cert-manager.io/issuer-name']).toBe('letsencrypt-prod');
    expect(renewed.data).toEqual(data);
  });
});
