import { createHash, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintSHA256, leafInfoFromPem } from '../../src/certs/index.ts';
import { dnsNames, serialHex } from '../../src/certs/leaf.ts';
import { garbage, issueCertificate, pemBlocks, toCrlf, truncatePem } from '../fixtures/certs.ts';

describe('serialHex', () => {
  it.each([
    ['0A1B', '0a1b'],
    ['8F1A', '8f1a'],
    ['008F1A', '8f1a'],
    ['00000001', '01'],
    ['7F', '7f'],
    ['00', '00'],
    ['0', '00'],
    ['A', '0a'],
    ['ABC', '0abc'],
    ['0A:1B', '0a1b'],
    ['-0A1B', '-0a1b'],
  ])('%s → %s', (node, expected) => {
    expect(serialHex(node)).toBe(expected);
  });
});

describe('dnsNames (node subjectAltName string)', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ['', []],
    ['DNS:a.example.com', ['a.example.com']],
    ['DNS:A.Example.COM, DNS:*.Example.com', ['a.example.com', '*.example.com']],
    ['DNS:a.com, IP Address:192.0.2.1, IP Address:2001:DB8:0:0:0:0:0:1, URI:spiffe://c/ns/x, email:x@y.z, DNS:b.com', ['a.com', 'b.com']],
    ['IP Address:192.0.2.1', []],
    // Node JSON-quotes values holding separators; a quoted value is one entry.
    ['DNS:"we\\u002c ird\\"name", DNS:b.com', ['we, ird"name', 'b.com']],
    ['email:"x\\u002c DNS:evil.com", DNS:b.com', ['b.com']],
    ['URI:"http://a/\\u002c DNS:evil.com", DNS:c.com', ['c.com']],
    // Not node's format: keep what could be read, never throw.
    ['DNS:"unterminated, DNS:b.com', []],
    ['garbage', []],
  ])('%j → %j', (san, expected) => {
    expect(dnsNames(san)).toEqual(expected);
  });
});

describe('fingerprintSHA256', () => {
  it('is the lowercase hex SHA-256 of the DER', async () => {
    const issued = await issueCertificate({ keyAlgorithm: 'ecdsa' });
    const der = new X509Certificate(issued.certPem).raw;
    expect(fingerprintSHA256(der)).toBe(issued.fingerprintSHA256);
    expect(fingerprintSHA256(new Uint8Array(der))).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprintSHA256(new Uint8Array(0))).toBe(createHash('sha256').digest('hex'));
  });
});

describe('leafInfoFromPem', () => {
  it('describes the first certificate of a chain', async () => {
    const issued = await issueCertificate({
      keyAlgorithm: 'ecdsa',
      withIntermediate: true,
      dnsNames: ['WWW.Example.COM', '*.Static.example.com', 'weird, name'],
      serial: '00c0ffee',
      notBefore: new Date('2031-01-02T03:04:05Z'),
      notAfter: new Date('2031-04-02T03:04:05Z'),
    });
    expect(leafInfoFromPem(issued.chainPem)).toEqual({
      fingerprintSHA256: issued.fingerprintSHA256,
      serialNumber: 'c0ffee',
      notBefore: new Date('2031-01-02T03:04:05Z'),
      notAfter: new Date('2031-04-02T03:04:05Z'),
      dnsNames: ['www.example.com', '*.static.example.com', 'weird, name'],
    });
    expect(issued.serialNumber).toBe('c0ffee');
  });

  it('keeps a serial whose value starts with a zero nibble as whole bytes', async () => {
    const issued = await issueCertificate({ keyAlgorithm: 'ecdsa', serial: '0a1b' });
    expect(leafInfoFromPem(issued.certPem)?.serialNumber).toBe('0a1b');
  });

  it('reads what a CDN returns: CRLF, text before the block', async () => {
    const issued = await issueCertificate({ keyAlgorithm: 'ecdsa' });
    const info = leafInfoFromPem(`Certificate:\r\n${toCrlf(issued.chainPem)}`);
    expect(info?.fingerprintSHA256).toBe(issued.fingerprintSHA256);
  });

  it('has no DNS names for a certificate without a SAN extension', async () => {
    const issued = await issueCertificate({ keyAlgorithm: 'ecdsa', dnsNames: [] });
    expect(leafInfoFromPem(issued.certPem)?.dnsNames).toEqual([]);
  });

  it('skips non-certificate blocks before the first certificate', async () => {
    const issued = await issueCertificate({ keyAlgorithm: 'ecdsa' });
    expect(leafInfoFromPem(issued.keyPem + issued.certPem)?.fingerprintSHA256).toBe(issued.fingerprintSHA256);
  });

  it.each<[string, (certPem: string, keyPem: string) => string]>([
    ['empty', () => ''],
    ['a key only', (_certPem, keyPem) => keyPem],
    ['truncated', (certPem) => truncatePem(certPem)],
    ['garbage', () => Buffer.from(garbage(512)).toString('latin1')],
    ['a CERTIFICATE block that is not a certificate', () => '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
  ])('is undefined for %s', async (_name, make) => {
    const issued = await issueCertificate({ keyAlgorithm: 'ecdsa' });
    expect(pemBlocks(issued.certPem)).toHaveLength(1);
    expect(leafInfoFromPem(make(issued.certPem, issued.keyPem))).toBeUndefined();
  });
});
