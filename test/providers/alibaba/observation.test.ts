// Reading DescribeDomainCertificateInfo answers, including the shapes the
// emulator never produces, and the wildcard spelling.
import { beforeAll, describe, expect, it } from 'vitest';
import type { CertInfo } from '../../../src/providers/alibaba/api.ts';
import { sameDomain, toApiDomain } from '../../../src/providers/alibaba/domain.ts';
import { toObservation } from '../../../src/providers/alibaba/observation.ts';
import { issueCertificate, type IssuedCert } from '../../fixtures/certs.ts';

let issued: IssuedCert;
beforeAll(async () => {
  issued = await issueCertificate({ dnsNames: ['*.example.com'], withIntermediate: true, keyAlgorithm: 'ecdsa' });
});

function info(fields: Partial<CertInfo>): CertInfo {
  return fields as CertInfo;
}

describe('toObservation', () => {
  it('reads the leaf of the served chain: fingerprint, expiry and CertId', () => {
    const o = toObservation('*.example.com', [
      info({ domainName: '.example.com', serverCertificateStatus: 'on', serverCertificate: issued.chainPem, certId: '9002448' }),
    ]);
    expect(o).toEqual({
      target: '*.example.com',
      state: 'serving',
      fingerprintSHA256: issued.fingerprintSHA256,
      notAfter: issued.notAfter,
      certificateId: '9002448',
    });
  });

  it('is disabled when HTTPS is off, there is no entry, or the entry is for another domain', () => {
    const off = info({ domainName: 'a.example.com', serverCertificateStatus: 'off', serverCertificate: issued.chainPem });
    expect(toObservation('a.example.com', [off])).toEqual({ target: 'a.example.com', state: 'disabled' });
    expect(toObservation('a.example.com', [])).toEqual({ target: 'a.example.com', state: 'disabled' });
    const other = info({ domainName: 'b.example.com', serverCertificateStatus: 'on', serverCertificate: issued.chainPem });
    expect(toObservation('a.example.com', [other])).toEqual({ target: 'a.example.com', state: 'disabled' });
  });

  it('picks the entry for the domain among several, in either wildcard spelling, and ignores case', () => {
    const o = toObservation('*.example.com', [
      info({ domainName: 'a.example.com', serverCertificateStatus: 'off' }),
      info({ domainName: '*.Example.com', serverCertificateStatus: 'ON', serverCertificate: issued.chainPem }),
    ]);
    expect(o.state === 'serving' && o.fingerprintSHA256).toBe(issued.fingerprintSHA256);
  });

  it('accepts a lone entry that does not repeat the domain name', () => {
    const o = toObservation('a.example.com', [info({ serverCertificateStatus: 'on', serverCertificate: issued.certPem })]);
    expect(o.state === 'serving' && o.fingerprintSHA256).toBe(issued.fingerprintSHA256);
  });

  it('reports an unreadable served certificate as serving something else, so ours gets pushed', () => {
    const o = toObservation('a.example.com', [
      info({ domainName: 'a.example.com', serverCertificateStatus: 'on', serverCertificate: 'asdadaxxxx' }),
    ]);
    expect(o).toEqual({ target: 'a.example.com', state: 'serving', fingerprintSHA256: '' });
  });
});

describe('wildcard spelling', () => {
  it('sends *.example.com as .example.com and leaves other names alone', () => {
    expect(toApiDomain('*.example.com')).toBe('.example.com');
    expect(toApiDomain('www.example.com')).toBe('www.example.com');
    expect(toApiDomain('.example.com')).toBe('.example.com');
    expect(toApiDomain('WWW.Example.COM')).toBe('www.example.com');
  });

  it('matches either spelling, and only the same domain', () => {
    expect(sameDomain('.example.com', '*.example.com')).toBe(true);
    expect(sameDomain('*.example.com', '*.example.com')).toBe(true);
    expect(sameDomain('example.com', '*.example.com')).toBe(false);
    expect(sameDomain('a.example.com', '*.example.com')).toBe(false);
    expect(sameDomain(undefined, 'example.com')).toBe(false);
  });
});
