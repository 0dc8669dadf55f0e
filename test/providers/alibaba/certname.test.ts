import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certName, defaultPrefix, MAX_CERT_NAME_LENGTH } from '../../../src/providers/alibaba/certname.ts';

const FP_A = createHash('sha256').update('certificate A').digest('hex');
const FP_B = createHash('sha256').update('certificate B').digest('hex');
const ALLOWED = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

describe('CertName', () => {
  it('is ccs-<namespace>-<name>-<12 hex of the fingerprint> by default', () => {
    expect(certName({ namespace: 'web', name: 'shop' }, FP_A)).toBe(`ccs-web-shop-${FP_A.slice(0, 12)}`);
  });

  it('is deterministic for a certificate and binding, and changes with the fingerprint', () => {
    const binding = { namespace: 'web', name: 'shop' };
    expect(certName(binding, FP_A)).toBe(certName({ ...binding }, FP_A));
    expect(certName(binding, FP_B)).not.toBe(certName(binding, FP_A));
    expect(certName(binding, FP_B).endsWith(FP_B.slice(0, 12))).toBe(true);
  });

  it('uses the spec prefix when given', () => {
    expect(certName({ namespace: 'web', name: 'shop' }, FP_A, 'shop-prod')).toBe(`shop-prod-${FP_A.slice(0, 12)}`);
  });

  it('accepts an uppercase fingerprint and writes it lowercase', () => {
    expect(certName({ namespace: 'a', name: 'b' }, FP_A.toUpperCase())).toBe(`ccs-a-b-${FP_A.slice(0, 12)}`);
  });

  it('rejects something that is not a fingerprint', () => {
    expect(() => certName({ namespace: 'a', name: 'b' }, 'abc')).toThrow(RangeError);
  });

  it('shortens long binding names to at most 63 characters, keeping them apart with a hash', () => {
    const namespace = 'payments-production-eu-central';
    const longA = `${'x'.repeat(200)}-alpha`;
    const longB = `${'x'.repeat(200)}-beta`;
    const a = certName({ namespace, name: longA }, FP_A);
    const b = certName({ namespace, name: longB }, FP_A);
    for (const name of [a, b]) {
      expect(name.length).toBeLessThanOrEqual(MAX_CERT_NAME_LENGTH);
      expect(name).toMatch(ALLOWED);
      expect(name.startsWith('ccs-payments-production-eu-central-xxx')).toBe(true);
      expect(name.endsWith(`-${FP_A.slice(0, 12)}`)).toBe(true);
    }
    expect(a).not.toBe(b);
    const hashA = createHash('sha256').update(`${namespace}/${longA}`).digest('hex').slice(0, 8);
    expect(a).toBe(`${defaultPrefix({ namespace, name: longA })}-${FP_A.slice(0, 12)}`);
    expect(defaultPrefix({ namespace, name: longA }).endsWith(`-${hashA}`)).toBe(true);
  });

  it('keeps the longest names that fit as they are', () => {
    // ccs- (4) + ns (20) + - (1) + name (25) = 50 characters: the longest prefix without a hash.
    const binding = { namespace: 'n'.repeat(20), name: 'm'.repeat(25) };
    const name = certName(binding, FP_A);
    expect(name).toBe(`ccs-${binding.namespace}-${binding.name}-${FP_A.slice(0, 12)}`);
    expect(name.length).toBe(MAX_CERT_NAME_LENGTH);
    const oneMore = certName({ ...binding, name: 'm'.repeat(26) }, FP_A);
    expect(oneMore.length).toBeLessThanOrEqual(MAX_CERT_NAME_LENGTH);
    expect(oneMore).not.toContain('m'.repeat(26));
  });

  it('stays within 63 allowed characters for every shape of Kubernetes name', () => {
    const names = ['a', 'web.shop.example', 'a-b-c', 'x'.repeat(63), `${'a.'.repeat(100)}z`, 'x'.repeat(253)];
    for (const namespace of ['a', 'default', 'n'.repeat(63)]) {
      for (const name of names) {
        const cn = certName({ namespace, name }, FP_B);
        expect(cn.length).toBeLessThanOrEqual(MAX_CERT_NAME_LENGTH);
        expect(cn).toMatch(ALLOWED);
      }
    }
  });

  it('fits and cleans a prefix that bypassed the CRD', () => {
    const name = certName({ namespace: 'a', name: 'b' }, FP_A, `-bad prefix/${'p'.repeat(80)}`);
    expect(name.length).toBeLessThanOrEqual(MAX_CERT_NAME_LENGTH);
    expect(name).toMatch(ALLOWED);
  });
});
